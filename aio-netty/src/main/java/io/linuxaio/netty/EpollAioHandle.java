package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.AioExecutor;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;

/**
 * The context's eventfd registered with a Netty epoll loop, and the loop acting as the context's owner.
 * Readiness is level-triggered: {@link #handle} reads the eventfd (through
 * {@link AioContext#processCompletions()}) before it returns.
 */
final class EpollAioHandle implements EpollIoHandle, AioExecutor {

    private final IoEventLoop loop;
    private AioContext context;
    private FileDescriptor fd;
    private volatile IoRegistration registration;

    EpollAioHandle(IoEventLoop loop) {
        this.loop = loop;
    }

    void attach(AioContext context) {
        this.context = context;
        // the context owns the descriptor: Netty must not close it
        this.fd = new FileDescriptor(context.eventFd()) {
            @Override
            public void close() {
            }
        };
    }

    void registered(IoRegistration registration) {
        this.registration = registration;
    }

    // ------------------------------------------------------------------ EpollIoHandle

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent ioEvent) {
        context.processCompletions();
    }

    /** Netty closes the handle when the loop shuts down: nothing may stay pending. */
    @Override
    public void close() {
        if (context != null) {
            context.abandon("the event loop " + loop + " shut down");
        }
    }

    // ------------------------------------------------------------------ AioExecutor

    @Override
    public boolean inExecutorThread() {
        return loop.inEventLoop();
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public void terminating(AioContext context) {
        IoRegistration r = registration;
        if (r != null && r.isValid()) {
            r.cancel();
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.spi.AioDriver;
import io.linuxaio.spi.AioOwner;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;

/**
 * The context's eventfd registered with a Netty epoll loop, and the loop acting as the context's owner.
 * Readiness is level-triggered: {@link #handle} reads the eventfd (through
 * {@link AioDriver#runOwnerTurn()}) before it returns. Every method runs on the loop thread, except
 * {@link #execute} and {@link #inOwnerThread}, which any thread calls.
 */
final class EpollAioHandle implements EpollIoHandle, AioOwner {

    private final IoEventLoop loop;
    private AioDriver driver;
    private FileDescriptor fd;
    private volatile IoRegistration registration;

    EpollAioHandle(IoEventLoop loop) {
        this.loop = loop;
    }

    void attach(AioDriver driver) {
        this.driver = driver;
        // the context owns the descriptor: Netty must not close it
        this.fd = new FileDescriptor(driver.eventFd()) {
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
        driver.runOwnerTurn();
    }

    /** Netty closes the handle when the loop shuts down: nothing may stay pending. */
    @Override
    public void close() {
        if (driver != null) {
            driver.abandon("the event loop " + loop + " shut down");
        }
    }

    // ------------------------------------------------------------------ AioOwner

    @Override
    public boolean inOwnerThread() {
        return loop.inEventLoop();
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public void terminating() {
        IoRegistration r = registration;
        if (r != null && r.isValid() && !loop.isTerminated()) { // a terminated loop's epoll instance is gone
            r.cancel();
        }
    }
}

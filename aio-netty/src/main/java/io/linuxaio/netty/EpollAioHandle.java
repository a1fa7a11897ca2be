package io.linuxaio.netty;

import io.linuxaio.spi.AioDriver;
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
final class EpollAioHandle extends LoopOwner implements EpollIoHandle {

    private FileDescriptor fd;

    EpollAioHandle(IoEventLoop loop) {
        super(loop);
    }

    @Override
    void attach(AioDriver driver) {
        super.attach(driver);
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

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent ioEvent) {
        driver.runOwnerTurn();
    }
}

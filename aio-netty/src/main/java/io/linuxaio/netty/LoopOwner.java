package io.linuxaio.netty;

import io.linuxaio.spi.AioDriver;
import io.linuxaio.spi.AioOwner;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;

/**
 * A Netty event loop as a context's owner, whatever its transport: tasks run on the loop, the loop's
 * shutdown abandons the context, the teardown cancels the loop's registration of the eventfd. The
 * transports' handles extend it. {@link #execute} and {@link #inOwnerThread} are called from any thread;
 * the rest runs on the loop thread (or on the thread tearing an abandoned context down).
 */
abstract class LoopOwner implements AioOwner {

    final IoEventLoop loop;
    AioDriver driver;
    volatile IoRegistration registration;

    LoopOwner(IoEventLoop loop) {
        this.loop = loop;
    }

    void attach(AioDriver driver) {
        this.driver = driver;
    }

    /** Netty closes the handle when the loop shuts down: nothing may stay pending. */
    public void close() {
        if (driver != null) {
            driver.abandon("the event loop " + loop + " shut down");
        }
    }

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
        registration = null;
        if (r != null && r.isValid() && !loop.isTerminated()) { // a terminated loop's ring or epoll set is gone
            r.cancel();
        }
    }
}

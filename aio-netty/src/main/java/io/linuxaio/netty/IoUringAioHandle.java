package io.linuxaio.netty;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;

/**
 * The context's eventfd watched by a Netty io_uring loop, and the loop acting as the context's owner: a
 * one-shot {@code IORING_OP_POLL_ADD} for POLLIN on the eventfd, armed again after each owner's turn (which
 * reads the eventfd). Every method runs on the loop thread, except {@link #execute} and
 * {@link #inOwnerThread}, which any thread calls.
 */
final class IoUringAioHandle extends LoopOwner implements IoUringIoHandle {

    /** {@code IORING_OP_POLL_ADD} of {@code <linux/io_uring.h>}. */
    private static final byte IORING_OP_POLL_ADD = 6;
    /** {@code POLLIN}. */
    private static final int POLLIN = 0x1;

    IoUringAioHandle(IoEventLoop loop) {
        super(loop);
    }

    /** Arms the poll on the eventfd. Loop thread, or the registering thread before any event. */
    void registered(IoRegistration registration) {
        this.registration = registration;
        arm(registration);
    }

    private void arm(IoRegistration r) {
        r.submit(new IoUringIoOps(IORING_OP_POLL_ADD, (byte) 0, (short) 0, driver.eventFd(), 0L, 0L, 0, POLLIN,
                0L, (short) 0, (short) 0, 0, 0L));
    }

    @Override
    public void handle(IoRegistration registration, IoEvent ioEvent) {
        IoUringIoEvent event = (IoUringIoEvent) ioEvent;
        if (event.opcode() != IORING_OP_POLL_ADD) {
            return;
        }
        driver.runOwnerTurn(); // reads the eventfd: the next poll waits for the next completion
        IoRegistration r = this.registration;
        if (r != null && r.isValid() && event.res() >= 0) {
            arm(r);
        }
    }
}

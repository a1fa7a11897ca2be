package io.linuxaio.spi;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The thread that owns a context: it submits every request and reaps every completion, and every
 * future of the context completes on it. Implemented by drivers: {@code aio-netty} makes a Netty event
 * loop one; the library's completion thread is another.
 *
 * <p>An implementation runs the tasks given to {@link #execute} on the owner thread, in order, and
 * calls {@link AioDriver#runOwnerTurn()} on the owner thread whenever the context's
 * {@link AioDriver#eventFd() eventfd} is readable.
 */
public interface AioOwner extends Executor {

    /** {@return whether the calling thread is the owner thread} Any thread. */
    boolean inOwnerThread();

    /**
     * Runs {@code task} on the owner thread, after the task that is running now when called from the
     * owner thread. Any thread.
     *
     * @throws RejectedExecutionException when the owner has shut down
     */
    @Override
    void execute(Runnable task);

    /**
     * Called once when the context is being torn down, before its eventfd is closed: a driver that
     * registered the eventfd (with epoll, say) deregisters it here, so that no stale registration outlives
     * the descriptor. Owner thread (or the thread tearing an abandoned context down).
     */
    default void terminating() {
    }
}

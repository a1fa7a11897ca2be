package io.linuxaio;

import java.util.concurrent.RejectedExecutionException;

/**
 * The thread that owns an {@link AioContext}: it submits every request and reaps every completion,
 * and every future of the context completes on it.
 *
 * <p>The library's own completion thread is one ({@link AioContext#open()}); {@code aio-netty} binds a
 * context to a Netty epoll event loop through this interface. An implementation must run the tasks
 * given to {@link #execute} on the owner thread, in order, and must call {@link AioContext#processCompletions()}
 * on the owner thread whenever the context's {@link AioContext#eventFd()} is readable.
 */
public interface AioExecutor extends java.util.concurrent.Executor {

    /** Whether the calling thread is the owner thread. Any thread. */
    boolean inExecutorThread();

    /**
     * Runs {@code task} on the owner thread, after the task that is running now when called from the
     * owner thread. Any thread.
     *
     * @throws RejectedExecutionException when the owner has shut down
     */
    @Override
    void execute(Runnable task);

    /**
     * Called once when {@code context} is being torn down, before its eventfd is closed: a driver that
     * registered the eventfd (with epoll, say) deregisters it here, so that no stale registration outlives
     * the descriptor. Owner thread (or the thread tearing an abandoned context down).
     */
    default void terminating(AioContext context) {
    }
}

package io.linuxaio;

import io.linuxaio.engine.BlockingPool;

import java.nio.channels.CompletionHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where a channel's completion handlers run: on the owner thread of its context, or on the executor the
 * channel was opened with; never on the thread that made the request, even when the request was done
 * before the call returned (as the JDK's channels run them on a pooled thread of their group). Should the
 * owner or the executor have shut down, the library's pool of blocking calls runs them. A handler
 * that throws is reported to its thread's uncaught exception handler (by default: printed to stderr), as
 * on the JDK's pool threads, and the thread goes on. Any thread.
 */
final class ChannelHandlers {

    private final AioContext context;
    /** Null: the owner thread. */
    private final Executor executor;

    ChannelHandlers(AioContext context, Executor executor) {
        this.context = context;
        this.executor = executor;
    }

    /** Calls {@code handler} with the outcome of {@code future}, on the owner or the executor. */
    <V, A> void whenDone(CompletableFuture<V> future, A attachment, CompletionHandler<V, ? super A> handler) {
        if (future.isDone()) { // on the caller's thread now: hand it over
            dispatch(() -> invoke(future, attachment, handler));
            return;
        }
        future.whenComplete((v, t) -> {
            if (executor == null && context.inOwnerThread()) {
                invoke(v, t, attachment, handler); // completed by the owner: it is where the handler belongs
            } else {
                dispatch(() -> invoke(v, t, attachment, handler));
            }
        });
    }

    private void dispatch(Runnable call) {
        try {
            (executor != null ? executor : context.ownerExecutor()).execute(call);
        } catch (RejectedExecutionException e) {
            // the owner (its context closed) or the executor has shut down: a pooled thread still runs it
            BlockingPool.calls().execute(call);
        }
    }

    private static <V, A> void invoke(CompletableFuture<V> done, A attachment, CompletionHandler<V, ? super A> handler) {
        done.whenComplete((v, t) -> invoke(v, t, attachment, handler)); // done: runs at once, here
    }

    private static <V, A> void invoke(V value, Throwable failure, A attachment, CompletionHandler<V, ? super A> handler) {
        boolean interruptedBefore = Thread.currentThread().isInterrupted();
        try {
            if (failure != null) {
                handler.failed(unwrap(failure), attachment);
            } else {
                handler.completed(value, attachment);
            }
        } catch (Throwable t) {
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        }
        if (!interruptedBefore) {
            Thread.interrupted(); // an interrupt the handler made ends with it (the JDK's pool clears it too)
        }
    }

    /** The failure a future reports, out of the wrappers CompletableFuture puts around it. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}

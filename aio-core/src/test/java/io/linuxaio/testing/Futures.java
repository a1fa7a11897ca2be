package io.linuxaio.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waiting on futures in tests: always with a timeout, and a timeout is an {@link AssertionError} that
 * says what did not complete, never a hung build. Any thread.
 */
public final class Futures {

    /** How long {@link #await(Future)} and {@link #failure(Future)} wait. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Futures() {
    }

    /**
     * The future's value, within {@link #TIMEOUT}.
     *
     * @throws ExecutionException when the future failed (its cause is the failure)
     * @throws AssertionError when it did not complete in time
     */
    public static <T> T await(Future<T> future) throws ExecutionException, InterruptedException {
        return await(future, "the future", TIMEOUT);
    }

    /** As {@link #await(Future)}; a timeout names {@code what} ("the read at 4096", say). */
    public static <T> T await(Future<T> future, String what) throws ExecutionException, InterruptedException {
        return await(future, what, TIMEOUT);
    }

    /** As {@link #await(Future, String)}, waiting up to {@code timeout}. */
    public static <T> T await(Future<T> future, String what, Duration timeout) throws ExecutionException, InterruptedException {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + describe(timeout), e);
        }
    }

    /**
     * The cause of the future's failure, within {@link #TIMEOUT}.
     *
     * @throws AssertionError when the future completed normally, was cancelled, or did not complete in time
     */
    public static Throwable failure(Future<?> future) throws InterruptedException {
        return failure(future, "the future");
    }

    /** As {@link #failure(Future)}; the messages name {@code what}. */
    public static Throwable failure(Future<?> future, String what) throws InterruptedException {
        Object value;
        try {
            value = future.get(TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (CancellationException e) {
            throw new AssertionError(what + " was cancelled; a failure was expected", e);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + describe(TIMEOUT) + "; a failure was expected", e);
        }
        throw new AssertionError(what + " completed normally with " + value + "; a failure was expected");
    }

    /**
     * Runs {@code call} on {@code executor} (a context's {@code ownerExecutor()}, an event loop) and returns
     * its result, within {@link #TIMEOUT}.
     *
     * @throws ExecutionException when the call threw (its cause is what it threw)
     */
    public static <T> T call(Executor executor, Callable<T> call) throws ExecutionException, InterruptedException {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return await(result, "the call on " + executor);
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}

package io.linuxaio.engine;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * The calls without an asynchronous form (open, ftruncate, fallocate, a caller's own), run on the
 * {@link BlockingPool#calls()} pool and completed on the owner thread. Made on any thread; the call runs
 * on a pool thread; the future completes on the owner.
 */
public final class BlockingCalls {

    private static final Logger LOG = LoggerFactory.getLogger(BlockingCalls.class);

    private BlockingCalls() {
    }

    /**
     * {@code call}'s result or failure, on the owner of {@code engine}. A closed context refuses it without
     * running it (and so does one that closes while the call waits for a thread). A result that is
     * {@link AutoCloseable} and that nobody can receive any more (the future was cancelled, or the owner
     * shut down) is closed.
     */
    public static <T> CompletableFuture<T> supply(Engine engine, Callable<T> call) {
        CompletableFuture<T> future = new CompletableFuture<>();
        if (!engine.isOpen()) {
            future.completeExceptionally(new AioClosedException(engine + " is closed"));
            return future;
        }
        try {
            BlockingPool.calls().execute(() -> {
                if (!engine.isOpen() || future.isDone()) { // closed or cancelled while queued: a refused call has no effect
                    future.completeExceptionally(new AioClosedException(engine + " is closed"));
                    return;
                }
                T value = null;
                Throwable error = null;
                try {
                    value = call.call();
                } catch (Throwable t) {
                    error = t;
                }
                T v = value;
                Throwable e = error;
                Runnable done = () -> {
                    if (e != null) {
                        future.completeExceptionally(e);
                    } else if (!future.complete(v) && v instanceof AutoCloseable c) {
                        closeQuietly(c); // the caller gave up on it: nobody else will close it
                    }
                };
                try {
                    engine.owner().execute(done);
                } catch (RejectedExecutionException rejected) {
                    if (v instanceof AutoCloseable c) {
                        closeQuietly(c);
                    }
                    future.completeExceptionally(new AioClosedException(engine + " cannot complete the call: its owner shut down"));
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    /**
     * A system call on {@code file}'s descriptor ({@code ftruncate}, {@code fallocate}): it returns 0 or
     * {@code -errno}, which fails the future with an {@link AioIOException} naming {@code op}. The
     * descriptor's reference is held from here to the call's end, and given back once, also when the call
     * is refused.
     */
    public static CompletableFuture<Void> onFile(Engine engine, FileHandle file, String op, long position, long length,
                                                 IntSupplier call) {
        if (!file.tryAcquire()) {
            return CompletableFuture.failedFuture(file.closed());
        }
        AtomicBoolean held = new AtomicBoolean(true);
        CompletableFuture<Void> future = supply(engine, () -> {
            int r;
            try {
                r = call.getAsInt();
            } finally {
                if (held.getAndSet(false)) {
                    file.release(); // the descriptor is not used after the call
                }
            }
            if (r < 0) {
                throw new AioIOException(op, file.describe(), position, length, -r, null);
            }
            return null;
        });
        future.whenComplete((v, t) -> {
            if (held.getAndSet(false)) {
                file.release();
            }
        });
        return future;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", c, e);
        }
    }
}

package io.linuxaio.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's two small, shared pools of daemon threads; any thread submits, their own threads run
 * the tasks. They are apart because their waits are not alike:
 * <ul>
 *   <li>{@link #executor()}, the I/O fallback: the blocking {@code preadv2}/{@code pwritev2} that a
 *       non-blocking submission could not do ({@code RWF_NOWAIT} answered EAGAIN or EOPNOTSUPP). Each
 *       task lasts one disk access, and its queue is bounded in practice by the contexts' slots (a task
 *       holds its request's slot). System property {@code io.linuxaio.fallbackThreads} (default 4).</li>
 *   <li>{@link #calls()}: the calls without an asynchronous form ({@code open}, {@code ftruncate},
 *       {@code fallocate}, {@code AioContext.supplyBlocking}, the channel's {@code lock}), some of which
 *       may wait without bound (a lock another process holds): they never hold up the I/O fallback.
 *       System property {@code io.linuxaio.blockingCallThreads} (default 16).</li>
 * </ul>
 * Threads end after 60 s idle.
 */
public final class BlockingPool {

    private BlockingPool() {
    }

    private static final int IO_THREADS = Math.max(1, Integer.getInteger("io.linuxaio.fallbackThreads", 4));
    private static final int CALL_THREADS = Math.max(1, Integer.getInteger("io.linuxaio.blockingCallThreads", 16));
    private static final long IDLE_SECONDS = 60;

    private static final class Io {
        static final ThreadPoolExecutor POOL = create("linux-aio-fallback-", IO_THREADS);
    }

    private static final class Calls {
        static final ThreadPoolExecutor POOL = create("linux-aio-blocking-", CALL_THREADS);
    }

    private static ThreadPoolExecutor create(String prefix, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** The I/O fallback pool. */
    public static Executor executor() {
        return Io.POOL;
    }

    /** The number of threads the I/O fallback pool may run. */
    public static int threads() {
        return IO_THREADS;
    }

    /**
     * The pool of blocking calls (opens, truncates, locks, supplyBlocking). An {@code ExecutorService} because
     * the channel's locks hand it to a JDK channel; nobody shuts it down.
     */
    public static ExecutorService calls() {
        return Calls.POOL;
    }

    /** The number of threads the pool of blocking calls may run. */
    public static int callThreads() {
        return CALL_THREADS;
    }
}

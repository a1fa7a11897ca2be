package io.linuxaio.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The small, shared pool of daemon threads that run the blocking {@code preadv2}/{@code pwritev2} a
 * non-blocking submission could not do ({@code RWF_NOWAIT} answered EAGAIN or EOPNOTSUPP), and the
 * few calls the kernel has no asynchronous form of ({@code ftruncate}, {@code fallocate}, {@code open}).
 * Any thread submits; its own threads run the tasks.
 *
 * <p>Its queue is bounded in practice by the contexts' slots: a task holds its request's slot.
 * Size: system property {@code io.linuxaio.fallbackThreads} (default 4). Threads end after 60 s idle.
 */
public final class BlockingPool {

    private BlockingPool() {
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("io.linuxaio.fallbackThreads", 4));
    private static final long IDLE_SECONDS = 60;

    private static final class Holder {
        static final ThreadPoolExecutor POOL = create();

        private static ThreadPoolExecutor create() {
            AtomicInteger n = new AtomicInteger();
            ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, IDLE_SECONDS, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "linux-aio-fallback-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            pool.allowCoreThreadTimeOut(true);
            return pool;
        }
    }

    /** The shared executor. */
    public static Executor executor() {
        return Holder.POOL;
    }

    /** The number of threads the pool may run. */
    public static int threads() {
        return THREADS;
    }
}

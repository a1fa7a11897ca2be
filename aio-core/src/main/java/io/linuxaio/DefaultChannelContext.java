package io.linuxaio;

import io.linuxaio.engine.BlockingPool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The context shared by the channels opened without one ({@link AioAsynchronousFileChannel#open(java.nio.file.Path,
 * java.nio.file.OpenOption...)}): made for the first of them, kept while any is open and for
 * {@link #IDLE_NANOS} after the last one closes, then closed. Any thread.
 *
 * <p>Nothing here waits for the context's owner thread while holding the lock: a handler (on that thread)
 * may open a channel, and so take the lock, at any time.
 */
final class DefaultChannelContext {

    /**
     * How long the context outlives its last channel: 30 s. Tearing a context down costs 30-40 ms
     * ({@code io_destroy} waits for an RCU grace period), which closing a channel paid whenever it was the last
     * one open (an open+close cycle cost 36-40 ms against 0.05 ms for the JDK's channel). An idle context
     * costs a sleeping daemon thread, an eventfd and its kernel events in {@code aio-nr}; the kernel takes it
     * back at exit, and {@link #closeIfUnused()} gives it back at once.
     */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

    /**
     * The JDK's property for the threads of its default channel group: a class name of a
     * {@link ThreadFactory} with a public no-argument constructor, loaded by the system class loader.
     * Here it makes the context's completion thread.
     */
    static final String THREAD_FACTORY_PROPERTY = "java.nio.channels.DefaultThreadPool.threadFactory";

    private static final Logger LOG = LoggerFactory.getLogger(DefaultChannelContext.class);

    private static final Object LOCK = new Object();
    /** Guarded by LOCK. */
    private static AioContext context;
    private static int users;
    private static long idleSince;
    private static boolean idleCheckScheduled;

    private DefaultChannelContext() {
    }

    /** The context, made if there is none; the caller {@link #release}s it once. */
    static AioContext acquire() throws IOException {
        synchronized (LOCK) {
            if (context == null || !context.isOpen()) { // closed by hand through a channel's file: start afresh
                context = build();
                users = 0;
            }
            users++;
            return context;
        }
    }

    /** Gives back what {@link #acquire} returned; the last user starts the idle period. */
    static void release(AioContext c) {
        synchronized (LOCK) {
            if (c != context || --users > 0) {
                return;
            }
            idleSince = System.nanoTime();
            if (idleCheckScheduled) {
                return; // the pending check sees the new idleSince
            }
            idleCheckScheduled = true;
        }
        scheduleIdleCheck(IDLE_NANOS);
    }

    /** Closes the context now if no channel uses it; returns whether it did. Waits for the teardown. */
    static boolean closeIfUnused() {
        AioContext unused;
        synchronized (LOCK) {
            if (context == null || users > 0) {
                return false;
            }
            unused = context;
            context = null;
        }
        LOG.debug("default channel context {} released: closed on request", unused);
        unused.close(); // outside the lock: the teardown waits for the owner
        return true;
    }

    /**
     * One check at a time, however many channels come and go: it closes the context if it has been idle
     * for the whole period, or waits for the rest of the period of the latest idleness.
     */
    private static void scheduleIdleCheck(long nanos) {
        CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, BlockingPool.calls())
                .execute(DefaultChannelContext::idleCheck);
    }

    private static void idleCheck() {
        AioContext idle;
        long left;
        synchronized (LOCK) {
            left = IDLE_NANOS - (System.nanoTime() - idleSince);
            if (context == null || users > 0) {
                idleCheckScheduled = false; // the next release schedules again
                return;
            }
            if (left > 0) {
                idle = null;
            } else {
                idle = context;
                context = null;
                idleCheckScheduled = false;
            }
        }
        if (idle == null) {
            scheduleIdleCheck(left);
        } else {
            LOG.debug("default channel context {} released: no channel used it for {} s", idle,
                    TimeUnit.NANOSECONDS.toSeconds(IDLE_NANOS));
            idle.close();
        }
    }

    private static AioContext build() throws IOException {
        AioContext.Builder builder = AioContext.builder().name("linux-aio-channels");
        String factory = System.getProperty(THREAD_FACTORY_PROPERTY);
        if (factory != null) {
            builder.threadFactory(threadFactory(factory));
        }
        AioContext c = builder.build();
        LOG.debug("default channel context {} created for the channels opened without one", c);
        return c;
    }

    private static ThreadFactory threadFactory(String className) {
        try {
            Class<?> c = Class.forName(className, true, ClassLoader.getSystemClassLoader());
            return (ThreadFactory) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot make the thread factory " + THREAD_FACTORY_PROPERTY + "="
                    + className + " names: " + e, e);
        }
    }
}

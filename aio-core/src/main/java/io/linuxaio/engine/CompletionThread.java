package io.linuxaio.engine;

import io.linuxaio.spi.AioOwner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;




import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The library's own owner thread, for a context without an event loop; {@link #execute} is called from
 * any thread, everything else runs on the thread itself. It blocks on the context's eventfd, which the
 * kernel signals on completions and other threads signal when they hand over work: one wake-up per batch
 * of hand-overs, not one per request (a cross-CPU wake-up costs tens of microseconds).
 *
 * <p>Loop: run the handed-over tasks (they fill the batch), take the owner's turn (reap, then submit the
 * batch), then block on the eventfd unless more work arrived meanwhile.
 */
final class CompletionThread implements AioOwner, Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionThread.class);

    private final Engine engine;
    private final KernelContext kernel;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while the thread is running (not blocked): producers then need not wake it. */
    private final AtomicBoolean awake = new AtomicBoolean(true);
    private volatile boolean stopped;
    private boolean stopRequested;

    /**
     * The thread comes from {@code factory} when there is one (its name and daemon status are the factory's
     * choice), else it is a daemon thread named after the context.
     */
    CompletionThread(Engine engine, KernelContext kernel, String name, ThreadFactory factory) {
        this.engine = engine;
        this.kernel = kernel;
        if (factory == null) {
            this.thread = new Thread(this, name + "-completion");
            this.thread.setDaemon(true);
        } else {
            this.thread = factory.newThread(this);
            if (thread == null) {
                throw new IllegalStateException(factory + " made no thread for the completion thread of " + name);
            }
        }
    }

    void start() {
        thread.start();
    }

    @Override
    public boolean inOwnerThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
        if (stopped) {
            throw new RejectedExecutionException("the completion thread of " + engine + " has stopped");
        }
        tasks.offer(task);
        if (Thread.currentThread() == thread) {
            return;
        }
        if (stopped) {
            runLeftovers(); // the thread may have drained its queue already: nobody else will run this
            return;
        }
        // Wake the thread only if it may be blocked, and only once per batch of hand-overs.
        if (!awake.get() && awake.compareAndSet(false, true)) {
            kernel.wakeUp();
        }
    }

    /** Called on the thread when the context has been torn down. */
    void stop() {
        stopRequested = true;
    }

    @Override
    public void run() {
        try {
            while (!stopRequested) {
                runTasks();
                if (stopRequested) {
                    break;
                }
                try {
                    engine.runOwnerTurn();
                } catch (Throwable t) {
                    LOG.error("reaping completions of {} failed", engine, t);
                }
                if (stopRequested) {
                    break;
                }
                awake.set(false);
                if (!tasks.isEmpty()) { // arrived after the last drain: their producers may not have woken us
                    awake.set(true);
                    continue;
                }
                kernel.awaitEventFd();
                awake.set(true);
            }
        } finally {
            stopped = true;
            runLeftovers();
        }
    }

    /**
     * Starts the requests other threads handed over since the turn began, up to the first task that is
     * neither a request nor the submitter's own flush (which the first request started schedules, and which
     * only sends what the caller sends next anyway): other tasks, close among them, wait for the turn's end.
     * Completion thread, inside a turn.
     */
    void startHandedOverRequests() {
        Runnable task;
        while ((task = tasks.peek()) instanceof Request || engine.isFlushTask(task)) {
            tasks.poll();
            runSafely(task);
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            runSafely(task);
            if (stopRequested) {
                return;
            }
        }
    }

    /** Tasks that arrived too late run here: they find the context torn down and fail their futures. */
    private void runLeftovers() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            runSafely(task);
        }
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.error("a task of the completion thread failed", t);
        }
    }
}

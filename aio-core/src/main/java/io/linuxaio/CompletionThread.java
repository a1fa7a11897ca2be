package io.linuxaio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The library's own owner thread for a context without an event loop. It blocks on the context's
 * eventfd, which the kernel signals on completions and other threads signal when they hand over work:
 * one wake-up per batch of hand-overs, not one per request (a cross-CPU wake-up costs tens of
 * microseconds).
 *
 * <p>Loop: run the handed-over tasks (they fill the batch), reap the ring, submit the batch, then
 * block on the eventfd unless more work arrived meanwhile.
 */
final class CompletionThread implements AioExecutor, Runnable {

    private final AioContext context;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while the thread is running (not blocked): producers then need not wake it. */
    private final AtomicBoolean awake = new AtomicBoolean(true);
    private volatile boolean stopped;
    private boolean stopRequested;

    private static final ThreadLocal<MemorySegment> ONE = ThreadLocal.withInitial(() -> {
        MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        return one;
    });

    CompletionThread(AioContext context, String name) {
        this.context = context;
        this.thread = new Thread(this, name + "-completion");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public boolean inExecutorThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
        if (stopped) {
            throw new RejectedExecutionException("the completion thread of " + context + " has stopped");
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
            context.wakeUp(ONE.get());
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
                    context.processCompletions();
                } catch (Throwable t) {
                    org.slf4j.LoggerFactory.getLogger(CompletionThread.class).error("reaping completions of {} failed", context, t);
                }
                if (stopRequested) {
                    break;
                }
                awake.set(false);
                if (!tasks.isEmpty()) { // arrived after the last drain: their producers may not have woken us
                    awake.set(true);
                    continue;
                }
                context.awaitEventFd();
                awake.set(true);
            }
        } finally {
            stopped = true;
            runLeftovers();
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
            org.slf4j.LoggerFactory.getLogger(CompletionThread.class).error("a task of the completion thread failed", t);
        }
    }
}

package io.linuxaio.spi;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An owner run by a thread of the application's own: the thread that {@link #bindToCurrentThread() binds}
 * it is the owner thread, and it runs the owner's work when it says so, with {@link #runTasks()} and
 * {@link AioDriver#runOwnerTurn()} (or {@link #runTurn}), as Agrona's {@code AgentInvoker} lets an
 * application run an agent's duty cycle on its own thread. For tests, benchmarks and applications with
 * a loop of their own. {@link #execute} is called from any thread; everything else on the owner thread.
 * The driver's eventfd ({@link AioDriver#eventFd()}) says when a turn is owed: kernel completions signal
 * it, and so does the engine when reads done inline on the owner wait for their next round of delivery;
 * {@link #awaitTasks} does not watch it, so a loop that parks should poll the eventfd, or run turns.
 *
 * <pre>{@code
 * ManualOwner owner = new ManualOwner();
 * owner.bindToCurrentThread();
 * AioDriver driver = AioDriver.create(AioContext.builder(), owner);
 * CompletableFuture<Integer> read = file.readAsync(0, buffer);   // batched
 * while (!read.isDone()) {
 *     owner.runTurn(driver);                                      // submit, reap, complete
 * }
 * }</pre>
 */
public final class ManualOwner implements AioOwner {

    /** Tasks from the owner thread itself: no allocation per task once the deque has grown. */
    private final ArrayDeque<Runnable> local = new ArrayDeque<>();
    /** Tasks handed over by other threads. */
    private final ConcurrentLinkedQueue<Runnable> remote = new ConcurrentLinkedQueue<>();
    private final AtomicInteger terminatingCalls = new AtomicInteger();
    private volatile Thread thread;
    private volatile boolean shutDown;

    /** An owner with no thread bound yet: call {@link #bindToCurrentThread()} on the owner thread. */
    public ManualOwner() {
    }

    /**
     * Makes the calling thread the owner thread.
     *
     * @return this owner
     */
    public ManualOwner bindToCurrentThread() {
        this.thread = Thread.currentThread();
        return this;
    }

    @Override
    public boolean inOwnerThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Queues {@code task} for the owner thread's next {@link #runTasks()}. Any thread.
     *
     * @throws RejectedExecutionException after {@link #shutDown()}
     */
    @Override
    public void execute(Runnable task) {
        if (shutDown) {
            throw new RejectedExecutionException("the owner has shut down");
        }
        Thread owner = thread;
        if (Thread.currentThread() == owner) {
            local.add(task);
        } else {
            remote.add(task);
            if (owner != null) {
                LockSupport.unpark(owner);
            }
        }
    }

    /**
     * Runs the queued tasks, and the tasks they queue, until none is left; a task that throws does not stop
     * the others (its exception is rethrown after them, the first one with the later ones suppressed).
     * Owner thread.
     *
     * @return the number of tasks run
     * @throws IllegalStateException when called off the owner thread
     */
    public int runTasks() {
        checkOwner();
        int n = 0;
        RuntimeException failure = null;
        for (;;) {
            Runnable task = local.poll();
            if (task == null) {
                task = remote.poll();
            }
            if (task == null) {
                break;
            }
            n++;
            try {
                task.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return n;
    }

    /**
     * One turn of an event loop: the queued tasks, then the driver's turn, then the tasks that queued. Owner thread.
     *
     * @param driver the driver of a context this owner owns
     * @throws IllegalStateException when called off the owner thread
     */
    public void runTurn(AioDriver driver) {
        runTasks();
        driver.runOwnerTurn();
        runTasks();
    }

    /**
     * Parks the owner thread until another thread hands over a task, or {@code timeout} passes. Owner thread.
     *
     * @param timeout how long to wait at most
     * @param unit the unit of {@code timeout}
     * @return whether tasks are queued
     * @throws IllegalStateException when called off the owner thread
     */
    public boolean awaitTasks(long timeout, TimeUnit unit) {
        checkOwner();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (local.isEmpty() && remote.isEmpty() && !shutDown) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(this, left);
        }
        return !local.isEmpty() || !remote.isEmpty();
    }

    /** Refuses later tasks (as a loop that has shut down). Any thread. */
    public void shutDown() {
        shutDown = true;
        Thread owner = thread;
        if (owner != null) {
            LockSupport.unpark(owner);
        }
    }

    /** {@return whether {@link #shutDown()} was called} Any thread. */
    public boolean isShutDown() {
        return shutDown;
    }

    /** {@return how many times a context owned by this owner was torn down} Any thread. */
    public int terminatingCalls() {
        return terminatingCalls.get();
    }

    @Override
    public void terminating() {
        terminatingCalls.incrementAndGet();
    }

    private void checkOwner() {
        if (!inOwnerThread()) {
            throw new IllegalStateException("called on " + Thread.currentThread().getName()
                    + ", not on the owner thread " + (thread == null ? "(none bound yet)" : thread.getName()));
        }
    }
}

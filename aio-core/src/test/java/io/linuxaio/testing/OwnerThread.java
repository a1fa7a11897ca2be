package io.linuxaio.testing;

import io.linuxaio.AioContext;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.LibC;
import io.linuxaio.spi.AioDriver;
import io.linuxaio.spi.AioOwner;
import io.linuxaio.spi.ManualOwner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A dedicated thread that runs a {@link ManualOwner}, as an event loop runs its tasks: the owner of any
 * number of contexts ({@link #context}). With automatic turns ({@link #start}) it also watches every
 * context's eventfd with {@code poll(2)} and runs the owner's turn when one is readable, so it drives its
 * contexts as a Netty loop would. Without ({@link #startWithoutTurns}) it only runs tasks: a test takes
 * each owner's turn itself, step by step, with {@code call(() -> driver(ctx).runOwnerTurn())}.
 *
 * <p>Each context is owned through a thin {@link AioOwner} over the one {@link ManualOwner}: a task handed
 * over from another thread also wakes the thread's {@code poll} (a wake-up eventfd of its own), and
 * {@link AioOwner#terminating()} takes the context's eventfd out of the poll set before the library closes
 * it. A task that throws is recorded ({@link #failures()}), not lost. {@link #stop()} abandons the contexts
 * still open, as a loop that shuts down does. Any thread, unless said otherwise.
 */
public final class OwnerThread implements Executor, AutoCloseable {

    private static final int WATCHED = AioAbi.POLLIN | AioAbi.POLLERR | AioAbi.POLLHUP | AioAbi.POLLNVAL;

    private final ManualOwner owner = new ManualOwner();
    private final boolean automaticTurns;
    private final Thread thread;
    private final int wakeFd;
    private final Object wakeLock = new Object();
    private boolean wakeFdClosed; // guarded by wakeLock
    private final Map<AioContext, AioDriver> drivers = new ConcurrentHashMap<>();
    /** The drivers whose contexts are not torn down yet, in the order they were made. */
    private final List<AioDriver> live = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private OwnerThread(String name, boolean automaticTurns) {
        this.automaticTurns = automaticTurns;
        try {
            this.wakeFd = EventFd.create(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e);
        }
        CountDownLatch bound = new CountDownLatch(1);
        thread = new Thread(() -> {
            owner.bindToCurrentThread();
            bound.countDown();
            loop();
        }, name);
        thread.setDaemon(true);
        thread.start();
        try {
            bound.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the owner thread started", e);
        }
    }

    /** An owner thread that runs its contexts' turns whenever their eventfds are readable. */
    public static OwnerThread start(String name) {
        return new OwnerThread(name, true);
    }

    /** An owner thread that only runs tasks: the test runs each owner's turn itself, through {@link #call}. */
    public static OwnerThread startWithoutTurns(String name) {
        return new OwnerThread(name, false);
    }

    /** A new context with the builder's settings, owned by this thread. */
    public AioContext context(AioContext.Builder builder) throws IOException {
        DriverOwner driverOwner = new DriverOwner();
        AioDriver driver = AioDriver.create(builder, driverOwner);
        driverOwner.driver = driver;
        drivers.put(driver.context(), driver);
        live.add(driver);
        wake(); // the poll set changed
        return driver.context();
    }

    /** The driver of a context made by {@link #context} (also after the context was torn down). */
    public AioDriver driver(AioContext context) {
        AioDriver driver = drivers.get(context);
        if (driver == null) {
            throw new IllegalArgumentException(context + " is not owned by " + this);
        }
        return driver;
    }

    /** Runs {@code task} on the owner thread, after the tasks queued before it. */
    @Override
    public void execute(Runnable task) {
        owner.execute(task);
        if (!owner.inOwnerThread()) {
            wake();
        }
    }

    /**
     * Runs {@code call} on the owner thread and returns its result (within {@link Futures#TIMEOUT}); what it
     * throws comes back as the cause of an {@link ExecutionException}. Not on the owner thread itself.
     */
    public <T> T call(Callable<T> call) throws ExecutionException, InterruptedException {
        if (owner.inOwnerThread()) {
            throw new IllegalStateException("call() on the owner thread would wait for itself");
        }
        return Futures.call(this, call);
    }

    /** The thread. */
    public Thread thread() {
        return thread;
    }

    /** How many times a context of this thread was torn down. */
    public int terminatingCalls() {
        return owner.terminatingCalls();
    }

    /** What tasks and owner's turns threw on the thread, in order. */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    /**
     * Stops the thread: tasks already queued run, contexts still open are abandoned on the thread (as a
     * loop that shuts down does), and the thread ends. Refuses later tasks. Idempotent.
     */
    public void stop() {
        owner.shutDown();
        wake();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(Futures.TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + this + " stopped", e);
        }
        if (thread.isAlive()) {
            throw new AssertionError(this + " did not stop within " + Futures.TIMEOUT.toSeconds() + " s");
        }
        synchronized (wakeLock) {
            if (!wakeFdClosed) {
                wakeFdClosed = true;
                LibC.close(wakeFd);
            }
        }
    }

    /** {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "OwnerThread[" + thread.getName() + (automaticTurns ? "" : ", turns run by the test") + "]";
    }

    private void wake() {
        synchronized (wakeLock) {
            if (!wakeFdClosed) {
                try {
                    EventFd.write(wakeFd, 1);
                } catch (ErrnoException e) {
                    failures.add(e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the thread

    private void loop() {
        Arena arena = Arena.ofConfined();
        int capacity = 8;
        MemorySegment fds = arena.allocate(LibC.POLLFD_SIZE * capacity, 8);
        try {
            while (!owner.isShutDown()) {
                runTasks();
                List<AioDriver> watched = automaticTurns ? List.copyOf(live) : List.of();
                int n = 1 + watched.size();
                if (n > capacity) {
                    arena.close();
                    arena = Arena.ofConfined();
                    capacity = Math.max(n, capacity * 2);
                    fds = arena.allocate(LibC.POLLFD_SIZE * capacity, 8);
                }
                setPollFd(fds, 0, wakeFd);
                for (int i = 0; i < watched.size(); i++) {
                    setPollFd(fds, i + 1, watched.get(i).eventFd());
                }
                // tasks queued by the tasks themselves are not signalled on the wake-up eventfd: do not wait then
                int timeout = owner.awaitTasks(0, TimeUnit.NANOSECONDS) ? 0 : -1;
                int r = LibC.poll(fds, n, timeout);
                if (r < 0) {
                    if (r != -Errno.EINTR) {
                        failures.add(new ErrnoException("poll", -r));
                    }
                    continue;
                }
                if (revents(fds, 0) != 0) {
                    try {
                        EventFd.read(wakeFd); // resets the counter
                    } catch (ErrnoException e) {
                        failures.add(e);
                    }
                }
                for (int i = 0; i < watched.size(); i++) {
                    int revents = revents(fds, i + 1);
                    AioDriver driver = watched.get(i);
                    if ((revents & AioAbi.POLLNVAL) != 0) {
                        // the eventfd was closed without terminating(): a bug of the engine, and a busy loop if kept
                        live.remove(driver);
                        failures.add(new AssertionError("the eventfd of " + driver + " was closed while still watched"));
                    } else if (revents != 0) {
                        try {
                            owner.runTurn(driver);
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }
                }
            }
            runTasks(); // queued before the shutdown
            for (AioDriver driver : live) {
                try {
                    driver.abandon("the owner thread " + thread.getName() + " stopped");
                } catch (Throwable t) {
                    failures.add(t);
                }
            }
        } finally {
            arena.close();
        }
    }

    private void runTasks() {
        try {
            owner.runTasks();
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    private static void setPollFd(MemorySegment fds, int i, int fd) {
        long at = i * LibC.POLLFD_SIZE;
        fds.set(ValueLayout.JAVA_INT, at, fd);
        fds.set(ValueLayout.JAVA_SHORT, at + 4, (short) AioAbi.POLLIN);
        fds.set(ValueLayout.JAVA_SHORT, at + 6, (short) 0);
    }

    private static int revents(MemorySegment fds, int i) {
        return fds.get(ValueLayout.JAVA_SHORT, i * LibC.POLLFD_SIZE + 6) & WATCHED;
    }

    /** How each context is owned: by the one {@link ManualOwner}, with the thread's wake-up and poll set. */
    private final class DriverOwner implements AioOwner {
        volatile AioDriver driver;

        @Override
        public boolean inOwnerThread() {
            return owner.inOwnerThread();
        }

        @Override
        public void execute(Runnable task) {
            OwnerThread.this.execute(task);
        }

        @Override
        public void terminating() {
            live.remove(driver); // before the library closes the eventfd: it leaves the poll set on the next round
            owner.terminating();
        }

        @Override
        public String toString() {
            return OwnerThread.this.toString();
        }
    }
}

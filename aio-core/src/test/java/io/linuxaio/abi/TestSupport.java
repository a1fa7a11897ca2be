package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Helpers that keep the binding tests short: a {@link Scope} owns the arena, the AIO contexts and
 * the descriptors of one test and releases them in the right order (contexts are destroyed first,
 * so the kernel is done with every buffer before the arena is freed; then descriptors are closed;
 * then the arena).
 */
final class TestSupport {

    private TestSupport() {
    }

    /** How long a test waits for a completion that must arrive. */
    static final Duration WAIT = Duration.ofSeconds(5);

    /** {@code n} bytes of a pattern that differs per seed and per position. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >>> 8));
        }
        return b;
    }

    static byte[] toBytes(MemorySegment seg, long offset, int n) {
        return seg.asSlice(offset, n).toArray(ValueLayout.JAVA_BYTE);
    }

    static byte[] toBytes(MemorySegment seg) {
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    /** The resources of one test, released by {@link #close()} even when the test failed. */
    static final class Scope implements AutoCloseable {

        final Arena arena;
        private final List<Long> contexts = new ArrayList<>();
        private final List<Integer> fds = new ArrayList<>();

        /** A scope with a confined arena (the test's own thread only). */
        Scope() {
            this(Arena.ofConfined());
        }

        Scope(Arena arena) {
            this.arena = arena;
        }

        // ------------------------------------------------------------ contexts

        /** A new context of {@code nrEvents} events, destroyed by {@link #close()}. */
        long context(int nrEvents) throws ErrnoException {
            long ctx = LinuxAio.ioSetup(nrEvents);
            contexts.add(ctx);
            return ctx;
        }

        /** Destroys {@code ctx} now (it is no longer destroyed by {@link #close()}): the raw result. */
        int destroy(long ctx) {
            contexts.remove(Long.valueOf(ctx));
            return LinuxAio.io_destroy(ctx);
        }

        // ------------------------------------------------------------ descriptors

        /** {@code open(path, flags, 0644)} through {@link LibC}, closed by {@link #close()}. */
        int open(Path path, int flags) throws ErrnoException {
            return track(LibC.open(path, flags | LibC.O_CLOEXEC, 0644));
        }

        /** A pipe {@code [read end, write end]}, both closed by {@link #close()}. */
        int[] pipe() throws ErrnoException {
            int[] p = LibC.pipe(LibC.O_CLOEXEC);
            track(p[0]);
            track(p[1]);
            return p;
        }

        /** A connected {@code AF_UNIX} stream socket pair, both closed by {@link #close()}. */
        int[] socketPair() throws ErrnoException {
            int[] p = LibC.socketPair();
            track(p[0]);
            track(p[1]);
            return p;
        }

        /** A non-blocking eventfd with a zero counter, closed by {@link #close()}. */
        int eventFd() throws ErrnoException {
            return track(EventFd.create(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        }

        int track(int fd) {
            fds.add(fd);
            return fd;
        }

        // ------------------------------------------------------------ memory

        /** A zeroed {@code struct iocb}. */
        MemorySegment iocb() {
            return arena.allocate(Iocb.LAYOUT);
        }

        /** {@code n} zeroed, contiguous {@code struct iocb}s. */
        MemorySegment iocbs(int n) {
            return arena.allocate(Iocb.LAYOUT, n);
        }

        /** iocb {@code i} of an array made by {@link #iocbs(int)}. */
        static MemorySegment iocbAt(MemorySegment iocbs, int i) {
            return iocbs.asSlice(i * Iocb.SIZE, Iocb.SIZE);
        }

        /** A {@code struct iocb *[]} of the given iocbs, as {@code io_submit} takes it. */
        MemorySegment iocbpp(MemorySegment... iocbs) {
            MemorySegment pp = arena.allocate(ValueLayout.ADDRESS, Math.max(1, iocbs.length));
            for (int i = 0; i < iocbs.length; i++) {
                pp.setAtIndex(ValueLayout.ADDRESS, i, iocbs[i]);
            }
            return pp;
        }

        /** {@code n} zeroed {@code struct io_event}s. */
        MemorySegment events(int n) {
            return arena.allocate(IoEvent.LAYOUT, n);
        }

        /** A {@code struct timespec} of {@code d}. */
        MemorySegment timeout(Duration d) {
            MemorySegment ts = arena.allocate(Timespec.LAYOUT);
            Timespec.set(ts, d);
            return ts;
        }

        /** A zero {@code struct timespec}: {@code io_getevents} does not wait. */
        MemorySegment noWait() {
            return timeout(Duration.ZERO);
        }

        /** {@code size} zeroed bytes aligned to 4096. */
        MemorySegment buffer(long size) {
            return arena.allocate(size, 4096);
        }

        /** A 4096-aligned copy of {@code bytes}. */
        MemorySegment bytes(byte[] bytes) {
            MemorySegment seg = buffer(bytes.length);
            MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return seg;
        }

        // ------------------------------------------------------------ submit and wait

        /** {@code io_submit} of the one {@code iocb}, asserting that the kernel accepted it. */
        void submitOne(long ctx, MemorySegment iocb) {
            long r = LinuxAio.io_submit(ctx, 1, iocbpp(iocb));
            assertEquals(1, r, () -> "io_submit of one iocb returned " + r + " (" + Errno.name((int) -r) + ")");
        }

        /** The raw {@code io_submit} result of the one {@code iocb}. */
        long submitRaw(long ctx, MemorySegment iocb) {
            return LinuxAio.io_submit(ctx, 1, iocbpp(iocb));
        }

        /** Waits up to {@link #WAIT} for exactly one event (asserting it came) and returns it. */
        MemorySegment waitOne(long ctx) {
            MemorySegment ev = events(1);
            long n = LinuxAio.io_getevents(ctx, 1, 1, ev, timeout(WAIT));
            assertEquals(1, n, () -> "io_getevents returned " + n + " events within " + WAIT
                    + (n < 0 ? " (" + Errno.name((int) -n) + ")" : ""));
            return ev;
        }

        /**
         * Waits up to {@link #WAIT} for {@code n} events (asserting they all came) and returns them.
         */
        MemorySegment waitN(long ctx, int n) {
            MemorySegment ev = events(n);
            long got = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (got < n) {
                long left = Math.max(0, deadline - System.nanoTime());
                long r = LinuxAio.io_getevents(ctx, n - got, n - got, ev.asSlice(got * IoEvent.SIZE),
                        timeout(Duration.ofNanos(left)));
                assertEquals(true, r >= 0, "io_getevents failed with " + Errno.name((int) -r));
                if (r == 0) {
                    break;
                }
                got += r;
            }
            assertEquals(n, got, "events that arrived within " + WAIT);
            return ev;
        }

        /**
         * Submits {@code iocb}, waits for its event, checks that the event names this iocb
         * ({@code obj} and {@code data}) and returns its {@code res}.
         */
        long submitAndWait(long ctx, MemorySegment iocb) {
            submitOne(ctx, iocb);
            MemorySegment ev = waitOne(ctx);
            assertEquals(iocb.address(), IoEvent.obj(ev, 0), "io_event.obj is the submitted iocb's address");
            assertEquals(Iocb.aioData(iocb), IoEvent.data(ev, 0), "io_event.data is the iocb's aio_data");
            return IoEvent.res(ev, 0);
        }

        /** Asserts that no event is ready now ({@code io_getevents} with a zero timeout returns 0). */
        void assertNoEventReady(long ctx) {
            long n = LinuxAio.io_getevents(ctx, 0, 1, events(1), noWait());
            assertEquals(0, n, "io_getevents with a zero timeout found a ready event");
        }

        @Override
        public void close() {
            AssertionError failure = null;
            for (long ctx : contexts) {
                int r = LinuxAio.io_destroy(ctx);
                if (r != 0) {
                    failure = addFailure(failure, "io_destroy(" + ctx + ") returned " + r);
                }
            }
            contexts.clear();
            for (int fd : fds) {
                int r = LibC.close(fd);
                if (r != 0) {
                    failure = addFailure(failure, "close(" + fd + ") returned " + r);
                }
            }
            fds.clear();
            arena.close();
            if (failure != null) {
                throw failure;
            }
        }

        private static AssertionError addFailure(AssertionError failure, String message) {
            AssertionError e = new AssertionError(message);
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
            return failure;
        }
    }
}

package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.testing.Futures;
import io.linuxaio.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile and wrong input, table-driven, across the binding and the engine: every case gets an early,
 * precise exception, or (where only the kernel can know) an exceptional future with the errno, or the
 * raw errno from the binding. None crashes the JVM, corrupts memory or leaves a request pending, and
 * the context keeps working after every one of them.
 */
@ExtendWith(LeakCheck.class)
class HostileInputTest {

    @TempDir
    static Path dir;
    static AioContext ctx;
    static AioFile rw;
    static AioFile ro;
    static AioFile wo;
    static AioFile direct;
    static AioFile closed;
    static AioContext closedCtx;
    static AioFile onClosedCtx;
    static int align;

    /** What a case must end with. */
    record Expect(Class<? extends Throwable> thrown, Class<? extends Throwable> failed, int errno, String message) {
        static Expect throwsAtCall(Class<? extends Throwable> t, String message) {
            return new Expect(t, null, 0, message);
        }

        static Expect failsWith(Class<? extends Throwable> t, int errno) {
            return new Expect(null, t, errno, null);
        }

        static Expect rawErrno(int errno) {
            return new Expect(null, null, errno, null);
        }
    }

    /** A case: an action that returns a future (engine), a raw result (binding), or throws. */
    record Case(String name, Action action, Expect expect) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Action {
        Object run() throws Exception;
    }

    @BeforeAll
    static void open() throws Exception {
        ctx = AioContext.builder().queueDepth(16).build();
        Path data = dir.resolve("data");
        Files.write(data, new byte[1 << 16]);
        rw = ctx.open(data, READ, WRITE);
        ro = ctx.open(data, READ);
        wo = ctx.open(data, WRITE);
        direct = ctx.open(data, READ, WRITE, AioOpenOption.DIRECT);
        align = direct.alignment().offsetAlignment();
        closed = ctx.open(data, READ, WRITE);
        closed.close();
        closedCtx = AioContext.builder().queueDepth(2).build();
        onClosedCtx = closedCtx.open(data, READ, WRITE);
        closedCtx.close();
    }

    @AfterAll
    static void close() throws Exception {
        for (AioFile f : new AioFile[] {rw, ro, wo, direct, onClosedCtx}) {
            f.close();
            await(f.closeFuture());
        }
        ctx.close();
    }

    static ByteBuffer buf(int n) {
        return ByteBuffer.allocateDirect(n);
    }

    /** Submits one raw iocb, filled by {@code fill}, to a context of its own: the io_submit result or the event's res. */
    static long raw(Consumer<MemorySegment> fill, boolean wantEvent) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            long c = LinuxAio.ioSetup(4);
            int fd = LibC.open(dir.resolve("data"), LibC.O_RDWR, 0);
            try {
                MemorySegment iocb = arena.allocate(Iocb.LAYOUT);
                MemorySegment buf = arena.allocate(4096, 4096);
                Iocb.prepPread(iocb, fd, buf, 4096, 0);
                MemorySegment ctxHolder = arena.allocate(ValueLayout.JAVA_INT);
                ctxHolder.set(ValueLayout.JAVA_INT, 0, fd);
                fill.accept(iocb);
                MemorySegment pp = arena.allocate(ValueLayout.ADDRESS);
                pp.set(ValueLayout.ADDRESS, 0, iocb);
                long r = LinuxAio.io_submit(c, 1, pp);
                if (r == 1 && wantEvent) {
                    MemorySegment ev = arena.allocate(io.linuxaio.abi.IoEvent.LAYOUT);
                    MemorySegment ts = arena.allocate(io.linuxaio.abi.Timespec.LAYOUT);
                    io.linuxaio.abi.Timespec.setNanos(ts, 5_000_000_000L);
                    assertEquals(1, LinuxAio.io_getevents(c, 1, 1, ev, ts));
                    return io.linuxaio.abi.IoEvent.res(ev, 0);
                }
                return r;
            } finally {
                LinuxAio.io_destroy(c);
                LibC.close(fd);
            }
        }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        Class<IllegalArgumentException> iae = IllegalArgumentException.class;
        Class<NullPointerException> npe = NullPointerException.class;
        // ---- positions and lengths
        c.add(new Case("negative position, read", () -> rw.readAsync(-1, buf(8)), Expect.throwsAtCall(iae, "position -1")));
        c.add(new Case("negative position, write", () -> rw.writeAsync(-4096, buf(8)), Expect.throwsAtCall(iae, "negative")));
        c.add(new Case("Long.MIN_VALUE position", () -> rw.readAsync(Long.MIN_VALUE, buf(8)), Expect.throwsAtCall(iae, "negative")));
        c.add(new Case("position + length overflows", () -> rw.readAsync(Long.MAX_VALUE - 2, buf(8)), Expect.throwsAtCall(iae, "overflows")));
        c.add(new Case("segment longer than MAX_RW_COUNT", () -> rw.readAsync(0,
                MemorySegment.ofAddress(4096).reinterpret(AioAbi.MAX_RW_COUNT + 1)), Expect.throwsAtCall(iae, "limit")));
        c.add(new Case("segment past Integer.MAX_VALUE", () -> rw.writeAsync(0,
                MemorySegment.ofAddress(4096).reinterpret(1L << 32)), Expect.throwsAtCall(iae, "limit")));
        c.add(new Case("vector longer than MAX_RW_COUNT", () -> rw.readAsync(0, new ByteBuffer[] {
            MemorySegment.ofAddress(4096).reinterpret(Integer.MAX_VALUE - 8).asByteBuffer(),
            MemorySegment.ofAddress(4096).reinterpret(Integer.MAX_VALUE - 8).asByteBuffer()}), Expect.throwsAtCall(iae, "limit")));
        c.add(new Case("read far past EOF", () -> rw.readAsync(1L << 50, buf(8)), Expect.failsWith(null, 0)));
        c.add(new Case("write past the filesystem's largest offset", () -> rw.writeAsync((1L << 44) + 4096, buf(512)),
                Expect.failsWith(AioIOException.class, Errno.EFBIG)));
        // ---- vectors
        c.add(new Case("1025 iovecs", () -> rw.readAsync(0, new ByteBuffer[1025]), Expect.throwsAtCall(iae, "1024")));
        c.add(new Case("empty vector", () -> rw.readAsync(0, new ByteBuffer[0]), Expect.throwsAtCall(iae, "empty")));
        c.add(new Case("null vector", () -> rw.readAsync(0, (ByteBuffer[]) null), Expect.throwsAtCall(npe, "dsts")));
        c.add(new Case("null element in a vector", () -> rw.writeAsync(0, new ByteBuffer[] {buf(1), null}),
                Expect.throwsAtCall(npe, "buffer 1")));
        c.add(new Case("read-only buffer in a read vector", () -> rw.readAsync(0, new ByteBuffer[] {buf(1).asReadOnlyBuffer()}),
                Expect.throwsAtCall(iae, "read-only")));
        // ---- buffers
        c.add(new Case("null buffer", () -> rw.readAsync(0, (ByteBuffer) null), Expect.throwsAtCall(npe, "dst")));
        c.add(new Case("null segment", () -> rw.writeAsync(0, (MemorySegment) null), Expect.throwsAtCall(npe, "src")));
        c.add(new Case("read-only ByteBuffer for a read", () -> rw.readAsync(0, buf(8).asReadOnlyBuffer()),
                Expect.throwsAtCall(iae, "read-only")));
        c.add(new Case("read-only segment for a read", () -> rw.readAsync(0, Arena.global().allocate(8).asReadOnly()),
                Expect.throwsAtCall(iae, "read-only")));
        c.add(new Case("read-only heap ByteBuffer for a write is fine", () -> rw.writeAsync(0, ByteBuffer.wrap(new byte[8]).asReadOnlyBuffer()),
                Expect.failsWith(null, 0)));
        // ---- flags and priorities
        c.add(new Case("unknown RWF bit", () -> rw.readAsync(0, buf(8), 1 << 20, 0), Expect.throwsAtCall(iae, "RWF")));
        c.add(new Case("negative ioprio", () -> rw.readAsync(0, buf(8), 0, -1), Expect.throwsAtCall(iae, "ioprio")));
        c.add(new Case("ioprio past 16 bits", () -> rw.readAsync(0, buf(8), 0, 1 << 16), Expect.throwsAtCall(iae, "ioprio")));
        c.add(new Case("invalid ioprio class 7", () -> rw.readAsync(0, buf(8), 0, 7 << 13),
                Expect.failsWith(AioIOException.class, Errno.EINVAL)));
        c.add(new Case("RWF_ATOMIC on a buffered read", () -> rw.readAsync(0, buf(4096), AioAbi.RWF_ATOMIC, 0),
                Expect.failsWith(AioIOException.class, -1)));
        // ---- access modes and states
        c.add(new Case("write on a read-only file", () -> ro.writeAsync(0, buf(8)), Expect.throwsAtCall(NonWritableChannelException.class, null)));
        c.add(new Case("read on a write-only file", () -> wo.readAsync(0, buf(8)), Expect.throwsAtCall(NonReadableChannelException.class, null)));
        c.add(new Case("truncate a read-only file", () -> ro.truncate(0), Expect.throwsAtCall(NonWritableChannelException.class, null)));
        c.add(new Case("read on a closed file", () -> closed.readAsync(0, buf(8)), Expect.failsWith(ClosedChannelException.class, 0)));
        c.add(new Case("fsync on a closed file", () -> closed.fsync(), Expect.failsWith(ClosedChannelException.class, 0)));
        c.add(new Case("size of a closed file", () -> closed.size(), Expect.throwsAtCall(ClosedChannelException.class, "closed")));
        c.add(new Case("read through a closed context", () -> onClosedCtx.readAsync(0, buf(8)), Expect.failsWith(ClosedChannelException.class, 0)));
        c.add(new Case("poll through a closed context", () -> closedCtx.poll(0, AioAbi.POLLIN), Expect.failsWith(ClosedChannelException.class, 0)));
        c.add(new Case("open through a closed context", () -> closedCtx.open(dir.resolve("data")), Expect.throwsAtCall(ClosedChannelException.class, "closed")));
        c.add(new Case("open a directory", () -> ctx.open(dir), Expect.throwsAtCall(java.io.IOException.class, "directory")));
        c.add(new Case("open a missing file", () -> ctx.open(dir.resolve("missing")), Expect.throwsAtCall(java.nio.file.NoSuchFileException.class, "missing")));
        c.add(new Case("unknown open option", () -> ctx.open(dir.resolve("data"), java.nio.file.LinkOption.NOFOLLOW_LINKS, new java.nio.file.OpenOption() {
        }), Expect.throwsAtCall(UnsupportedOperationException.class, "not supported")));
        // ---- O_DIRECT
        c.add(new Case("O_DIRECT misaligned position", () -> direct.readAsync(1, direct.allocateAligned(align)), Expect.throwsAtCall(iae, "position 1")));
        c.add(new Case("O_DIRECT misaligned length", () -> direct.readAsync(0, direct.allocateAligned(align * 2).limit(align + 1)),
                Expect.throwsAtCall(iae, "length")));
        c.add(new Case("O_DIRECT misaligned buffer address", () -> direct.readAsync(0,
                direct.allocateAligned(align * 2).position(1).limit(align + 1).slice()), Expect.throwsAtCall(iae, "address")));
        c.add(new Case("O_DIRECT misaligned vector element", () -> direct.writeAsync(0, new ByteBuffer[] {
            direct.allocateAligned(align), direct.allocateAligned(align).limit(align - 1)}), Expect.throwsAtCall(iae, "buffer 1")));
        // ---- poll
        c.add(new Case("poll a negative fd", () -> ctx.poll(-5, AioAbi.POLLIN), Expect.throwsAtCall(iae, "negative")));
        c.add(new Case("poll a regular file completes at once", () -> ctx.poll(rw.fd(), AioAbi.POLLIN), Expect.failsWith(null, 0)));
        c.add(new Case("poll a closed descriptor", () -> ctx.poll(100_000, AioAbi.POLLIN), Expect.failsWith(AioIOException.class, Errno.EBADF)));
        // ---- the binding, raw
        c.add(new Case("raw: opcode 4", () -> raw(i -> Iocb.aioLioOpcode(i, (short) 4), false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: opcode NOOP", () -> raw(i -> Iocb.aioLioOpcode(i, AioAbi.IOCB_CMD_NOOP), false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: nonzero aio_reserved2", () -> raw(i -> Iocb.aioReserved2(i, 1), false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: negative offset", () -> raw(i -> Iocb.aioOffset(i, -1), false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: bad fd", () -> raw(i -> Iocb.aioFildes(i, 99_999), false), Expect.rawErrno(Errno.EBADF)));
        c.add(new Case("raw: RESFD that is not an eventfd", () -> raw(i -> Iocb.setEventFd(i, 0), false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: unknown RWF bit", () -> raw(i -> Iocb.aioRwFlags(i, 1 << 25), false), Expect.rawErrno(Errno.EOPNOTSUPP)));
        c.add(new Case("raw: buffer address 0", () -> raw(i -> Iocb.aioBuf(i, 0), true), Expect.rawErrno(Errno.EFAULT)));
        c.add(new Case("raw: 1025 iovecs", () -> raw(i -> {
            Iocb.aioLioOpcode(i, AioAbi.IOCB_CMD_PREADV);
            Iocb.aioNbytes(i, 1025);
            Iocb.aioBuf(i, Arena.global().allocate(IoVec.SIZE * 1025).address());
        }, false), Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: io_submit to a bogus context", () -> {
            try (Arena a = Arena.ofConfined()) {
                return LinuxAio.io_submit(0xdead000L, 1, a.allocate(ValueLayout.ADDRESS));
            }
        }, Expect.rawErrno(Errno.EINVAL)));
        c.add(new Case("raw: io_getevents with min_nr > nr", () -> {
            long cx = LinuxAio.ioSetup(2);
            try (Arena a = Arena.ofConfined()) {
                return LinuxAio.io_getevents(cx, 5, 1, a.allocate(io.linuxaio.abi.IoEvent.LAYOUT), MemorySegment.NULL);
            } finally {
                LinuxAio.io_destroy(cx);
            }
        }, Expect.rawErrno(Errno.EINVAL)));
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedPreciselyAndNothingLeftPending(Case c) throws Exception {
        Expect e = c.expect();
        Object result;
        try {
            result = c.action().run();
        } catch (Throwable t) {
            if (e.thrown() == null) {
                throw new AssertionError(c.name() + ": threw " + t + " at the call; expected " + e, t);
            }
            assertInstanceOf(e.thrown(), t, c.name());
            if (e.message() != null) {
                assertNotNull(t.getMessage(), c.name());
                assertTrue(t.getMessage().contains(e.message()), c.name() + ": message \"" + t.getMessage()
                        + "\" should mention \"" + e.message() + "\"");
            }
            assertContextStillWorks();
            return;
        }
        if (e.thrown() != null) {
            fail(c.name() + ": expected " + e.thrown().getSimpleName() + " at the call, got " + result);
        }
        if (result instanceof CompletableFuture<?> f) {
            try {
                await(f); // never pending
                if (e.failed() != null) {
                    fail(c.name() + ": completed normally; expected " + e.failed().getSimpleName());
                }
            } catch (ExecutionException x) {
                if (e.failed() == null) {
                    throw new AssertionError(c.name() + ": failed unexpectedly", x.getCause());
                }
                assertInstanceOf(e.failed(), x.getCause(), c.name());
                if (x.getCause() instanceof AioIOException io) {
                    if (e.errno() > 0) {
                        assertEquals(e.errno(), io.errno(), c.name() + ": " + io.getMessage());
                    }
                    assertTrue(io.getMessage().contains(io.errnoName()), io.getMessage());
                }
            }
        } else {
            long r = ((Number) result).longValue();
            assertEquals(-e.errno(), r, c.name() + ": raw result");
        }
        assertContextStillWorks();
    }

    private static void assertContextStillWorks() throws Exception {
        ByteBuffer b = buf(16);
        assertEquals(16, await(rw.readAsync(0, b)));
        assertEquals(0, ctx.metrics().inFlight() > 0 ? waitIdle() : 0);
    }

    private static int waitIdle() throws Exception {
        // a cancelled or completed request gives its slot back on the owner: look from the owner
        return (int) (long) Futures.call(ctx.ownerExecutor(), () -> ctx.metrics().inFlight());
    }
}

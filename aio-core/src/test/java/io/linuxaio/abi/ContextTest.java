package io.linuxaio.abi;

import io.linuxaio.testing.LeakCheck;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.linuxaio.abi.TestSupport.pattern;
import static io.linuxaio.abi.TestSupport.toBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The life of an AIO context on the real kernel: {@code io_setup}/{@code io_destroy} and their
 * errors, the argument checks of {@code io_submit}/{@code io_getevents}/{@code io_pgetevents},
 * availability and features, and the completion ring read from user space.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.PerTest
class ContextTest {

    @TempDir
    Path dir;

    /** A file of {@code n} pattern bytes, written through the page cache (so reads of it are cached). */
    private Path file(int n) throws IOException {
        Path p = dir.resolve("data");
        Files.write(p, pattern(n, 1));
        return p;
    }

    @Test
    void setupGivesNonZeroContextAndCountsItsEventsInAioNr() throws Exception {
        long before = AioLimits.aioNr();
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(16);
            assertNotEquals(0, ctx, "aio_context_t");
            assertEquals(before + 16, AioLimits.aioNr(), "aio-nr counts the events io_setup asked for");
            assertEquals(0, s.destroy(ctx));
            assertEquals(before, AioLimits.aioNr(), "io_destroy gives the events back at once");
        }
    }

    @Test
    void setupPastAioMaxNrFailsWithEagain() {
        long max = AioLimits.aioMaxNr();
        assumeTrue(max > 0 && max < Integer.MAX_VALUE / 4, "aio-max-nr is " + max + ": too large to exceed");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctxp = arena.allocate(ValueLayout.JAVA_LONG);
            assertEquals(-Errno.EAGAIN, LinuxAio.io_setup((int) max + 1, ctxp));
            assertEquals(0, ctxp.get(ValueLayout.JAVA_LONG, 0), "no context was written");
        }
        ErrnoException e = assertThrows(ErrnoException.class, () -> LinuxAio.ioSetup((int) max + 1));
        assertEquals(Errno.EAGAIN, e.errno());
        assertEquals("io_setup", e.call());
        assertTrue(e.getMessage().contains("aio-max-nr"), e.getMessage());
        assertTrue(e.getMessage().contains("nr_events=" + (max + 1)), e.getMessage());
    }

    @Test
    void setupOfZeroEventsFailsWithEinval() {
        // fs/aio.c: "if (unlikely(ctx || nr_events == 0)) return -EINVAL" (checked before aio-max-nr).
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctxp = arena.allocate(ValueLayout.JAVA_LONG);
            assertEquals(-Errno.EINVAL, LinuxAio.io_setup(0, ctxp));
        }
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> LinuxAio.ioSetup(0)).errno());
    }

    @Test
    void setupIntoNonZeroContextIdFailsWithEinval() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctxp = arena.allocate(ValueLayout.JAVA_LONG);
            ctxp.set(ValueLayout.JAVA_LONG, 0, 0x1234L);
            assertEquals(-Errno.EINVAL, LinuxAio.io_setup(4, ctxp));
            assertEquals(0x1234L, ctxp.get(ValueLayout.JAVA_LONG, 0), "ctx_idp left as it was");
        }
    }

    @Test
    void secondDestroyFailsWithEinval() throws Exception {
        long ctx = LinuxAio.ioSetup(4);
        assertEquals(0, LinuxAio.io_destroy(ctx));
        assertEquals(-Errno.EINVAL, LinuxAio.io_destroy(ctx));
        ErrnoException e = assertThrows(ErrnoException.class, () -> LinuxAio.ioDestroy(ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("io_destroy"), e.getMessage());
    }

    @Test
    void submitAndGeteventsOnBogusContextFailWithEinval() {
        try (var s = new TestSupport.Scope()) {
            MemorySegment iocb = s.iocb();
            Iocb.prepFsync(iocb, 0, false);
            assertEquals(-Errno.EINVAL, LinuxAio.io_submit(12345, 1, s.iocbpp(iocb)));
            assertEquals(-Errno.EINVAL, LinuxAio.io_getevents(12345, 0, 1, s.events(1), s.noWait()));
            assertEquals(-Errno.EINVAL, LinuxAio.io_destroy(12345));
        }
    }

    @Test
    void geteventsRejectsNegativeMinNrAndNrBelowMinNr() throws Exception {
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            assertEquals(-Errno.EINVAL, LinuxAio.io_getevents(ctx, -1, 1, s.events(1), s.noWait()));
            assertEquals(-Errno.EINVAL, LinuxAio.io_getevents(ctx, 2, 1, s.events(2), s.noWait()));
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> LinuxAio.ioGetevents(ctx, -1, 1, s.events(1), s.noWait()));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("min_nr"), e.getMessage());
        }
    }

    @Test
    void emptySubmitReturnsZeroAndNegativeNrIsEinval() throws Exception {
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            assertEquals(0, LinuxAio.io_submit(ctx, 0, s.iocbpp()));
            assertEquals(0, LinuxAio.ioSubmit(ctx, 0, s.iocbpp()));
            assertEquals(-Errno.EINVAL, LinuxAio.io_submit(ctx, -1, s.iocbpp()));
        }
    }

    @Test
    void emptyGeteventsReturnsZeroWithoutWaiting() throws Exception {
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            long t0 = System.nanoTime();
            // min_nr 0 is satisfied at once, even with a long timeout.
            assertEquals(0, LinuxAio.io_getevents(ctx, 0, 0, s.events(1), s.timeout(Duration.ofSeconds(5))));
            assertEquals(0, LinuxAio.io_getevents(ctx, 0, 1, s.events(1), s.timeout(Duration.ofSeconds(5))));
            assertEquals(0, LinuxAio.ioGetevents(ctx, 1, 1, s.events(1), s.noWait()), "zero timeout, nothing ready");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos(), "none of these waited");
        }
    }

    @Test
    void pgeteventsWithNullSigsetReturnsTheEvent() throws Exception {
        Path p = file(4096);
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            int fd = s.open(p, LibC.O_RDONLY);
            MemorySegment buf = s.buffer(100);
            MemorySegment iocb = s.iocb();
            Iocb.prepPread(iocb, fd, buf, 100, 0);
            Iocb.aioData(iocb, 77);
            s.submitOne(ctx, iocb);
            MemorySegment ev = s.events(1);
            assertEquals(1, LinuxAio.ioPgetevents(ctx, 1, 1, ev, s.timeout(TestSupport.WAIT), MemorySegment.NULL));
            assertEquals(77, IoEvent.data(ev, 0));
            assertEquals(100, IoEvent.res(ev, 0));
            assertArrayEquals(pattern(100, 1), toBytes(buf));
        }
    }

    @Test
    void pgeteventsWithSigusr1MaskReturnsTheEvent() throws Exception {
        Path p = file(4096);
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            int fd = s.open(p, LibC.O_RDONLY);
            MemorySegment buf = s.buffer(64);
            MemorySegment iocb = s.iocb();
            Iocb.prepPread(iocb, fd, buf, 64, 10);
            Iocb.aioData(iocb, 78);
            s.submitOne(ctx, iocb);

            MemorySegment mask = s.arena.allocate(AioSigset.KERNEL_SIGSET_SIZE);
            AioSigset.addSignal(mask, 10); // SIGUSR1
            MemorySegment usig = s.arena.allocate(AioSigset.LAYOUT);
            AioSigset.set(usig, mask, AioSigset.KERNEL_SIGSET_SIZE);
            MemorySegment ev = s.events(1);
            assertEquals(1, LinuxAio.io_pgetevents(ctx, 1, 1, ev, s.timeout(TestSupport.WAIT), usig));
            assertEquals(78, IoEvent.data(ev, 0));
            assertEquals(64, IoEvent.res(ev, 0));
            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(4096, 1), 10, 74), toBytes(buf));
        }
    }

    @Test
    void pgeteventsWithWrongSigsetSizeFailsWithEinval() throws Exception {
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(4);
            MemorySegment mask = s.arena.allocate(16);
            AioSigset.addSignal(mask, 10);
            MemorySegment usig = s.arena.allocate(AioSigset.LAYOUT);
            AioSigset.set(usig, mask, 16);
            assertEquals(-Errno.EINVAL, LinuxAio.io_pgetevents(ctx, 0, 1, s.events(1), s.noWait(), usig));
            AioSigset.set(usig, mask, 4);
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> LinuxAio.ioPgetevents(ctx, 0, 1, s.events(1), s.noWait(), usig));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("io_pgetevents") && e.getMessage().contains("sigset size"),
                    e.getMessage());
        }
    }

    @Test
    void availableWithAllFeaturesOnThisKernel() {
        assertTrue(LinuxAio.isAvailable(), () -> "unavailable: " + LinuxAio.unavailabilityCause());
        assertNull(LinuxAio.unavailabilityCause());
        assertDoesNotThrow(LinuxAio::ensureAvailability);
        AioFeatures f = LinuxAio.features();
        assertEquals(new AioFeatures(true, true, true, true), f, "Linux 6.18 supports fsync, poll, pgetevents, nowait");
        assertTrue(f == LinuxAio.features(), "probed once");
    }

    @Test
    void ringHeaderIsUserReadableAndItsEventMatchesTheRequest() throws Exception {
        Path p = file(8192);
        try (var s = new TestSupport.Scope()) {
            long ctx = s.context(8);
            MemorySegment ring = AioRing.of(ctx);
            assertEquals(AioAbi.AIO_RING_MAGIC, AioRing.magic(ring), "magic");
            assertEquals(0, AioRing.incompatFeatures(ring), "incompat_features");
            assertEquals(32, AioRing.headerLength(ring), "header_length");
            assertTrue(AioRing.nr(ring) >= 8, "nr " + AioRing.nr(ring) + " >= the 8 asked for");
            assertTrue(AioRing.isUserReapable(ring));
            assertEquals(AioRing.HEADER_SIZE + (long) AioRing.nr(ring) * IoEvent.SIZE, ring.byteSize());
            int nr = AioRing.nr(ring);
            int head0 = AioRing.head(ring);
            int tail0 = AioRing.tailAcquire(ring);
            assertEquals(head0, tail0, "a new ring is empty");

            int fd = s.open(p, LibC.O_RDONLY);
            MemorySegment buf = s.buffer(512);
            MemorySegment iocb = s.iocb();
            Iocb.prepPread(iocb, fd, buf, 512, 1024);
            Iocb.aioData(iocb, 0xCAFEBABE12345678L);
            s.submitOne(ctx, iocb);

            // A buffered read of cached pages completes inside io_submit: the event is in the ring now.
            int tail1 = AioRing.tailAcquire(ring);
            assertEquals((tail0 + 1) % nr, tail1, "tail advanced by one");
            MemorySegment events = AioRing.events(ring);
            assertEquals(0xCAFEBABE12345678L, IoEvent.data(events, tail0), "data");
            assertEquals(iocb.address(), IoEvent.obj(events, tail0), "obj");
            assertEquals(512, IoEvent.res(events, tail0), "res");
            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(8192, 1), 1024, 1536), toBytes(buf));

            AioRing.headRelease(ring, tail1);
            assertEquals(tail1, AioRing.head(ring));
            s.assertNoEventReady(ctx);
            assertEquals(tail1, AioRing.head(ring), "io_getevents found nothing to consume");
        }
    }

    @Test
    void ringOfZeroContextIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> AioRing.of(0));
    }
}

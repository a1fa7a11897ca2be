package io.linuxaio.abi;

import io.linuxaio.testing.LeakCheck;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins the ABI: every struct size and field offset, the constants of {@code <linux/aio_abi.h>},
 * {@code <linux/fs.h>} and {@code <linux/ioprio.h>}, the per-architecture syscall numbers and the
 * message of an {@link ErrnoException}.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.PerTest
class LayoutTest {

    @Test
    void structSizes() {
        assertAll(
                () -> assertEquals(64, Iocb.SIZE, "sizeof(struct iocb)"),
                () -> assertEquals(64, Iocb.LAYOUT.byteSize(), "Iocb.LAYOUT"),
                () -> assertEquals(32, IoEvent.SIZE, "sizeof(struct io_event)"),
                () -> assertEquals(16, IoVec.SIZE, "sizeof(struct iovec)"),
                () -> assertEquals(16, Timespec.SIZE, "sizeof(struct timespec)"),
                () -> assertEquals(32, AioRing.HEADER_SIZE, "sizeof(struct aio_ring)"),
                () -> assertEquals(16, AioSigset.SIZE, "sizeof(struct __aio_sigset)"),
                () -> assertEquals(256, Statx.SIZE, "sizeof(struct statx)"));
    }

    @Test
    void iocbFieldOffsets() {
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "these offsets are the little-endian ones");
        assertAll(
                () -> assertEquals(0, Iocb.AIO_DATA, "aio_data"),
                () -> assertEquals(8, Iocb.AIO_KEY, "aio_key"),
                () -> assertEquals(12, Iocb.AIO_RW_FLAGS, "aio_rw_flags"),
                () -> assertEquals(16, Iocb.AIO_LIO_OPCODE, "aio_lio_opcode"),
                () -> assertEquals(18, Iocb.AIO_REQPRIO, "aio_reqprio"),
                () -> assertEquals(20, Iocb.AIO_FILDES, "aio_fildes"),
                () -> assertEquals(24, Iocb.AIO_BUF, "aio_buf"),
                () -> assertEquals(32, Iocb.AIO_NBYTES, "aio_nbytes"),
                () -> assertEquals(40, Iocb.AIO_OFFSET, "aio_offset"),
                () -> assertEquals(48, Iocb.AIO_RESERVED2, "aio_reserved2"),
                () -> assertEquals(56, Iocb.AIO_FLAGS, "aio_flags"),
                () -> assertEquals(60, Iocb.AIO_RESFD, "aio_resfd"));
    }

    @Test
    void ioEventIoVecTimespecAndSigsetOffsets() {
        assertAll(
                () -> assertEquals(0, IoEvent.DATA, "io_event.data"),
                () -> assertEquals(8, IoEvent.OBJ, "io_event.obj"),
                () -> assertEquals(16, IoEvent.RES, "io_event.res"),
                () -> assertEquals(24, IoEvent.RES2, "io_event.res2"),
                () -> assertEquals(0, IoVec.IOV_BASE, "iov_base"),
                () -> assertEquals(8, IoVec.IOV_LEN, "iov_len"),
                () -> assertEquals(0, Timespec.TV_SEC, "tv_sec"),
                () -> assertEquals(8, Timespec.TV_NSEC, "tv_nsec"),
                () -> assertEquals(0, AioSigset.SIGMASK, "sigmask"),
                () -> assertEquals(8, AioSigset.SIGSETSIZE, "sigsetsize"),
                () -> assertEquals(8, AioSigset.KERNEL_SIGSET_SIZE, "_NSIG / 8"));
    }

    @Test
    void aioRingHeaderOffsets() {
        assertAll(
                () -> assertEquals(0, AioRing.ID, "id"),
                () -> assertEquals(4, AioRing.NR, "nr"),
                () -> assertEquals(8, AioRing.HEAD, "head"),
                () -> assertEquals(12, AioRing.TAIL, "tail"),
                () -> assertEquals(16, AioRing.MAGIC, "magic"),
                () -> assertEquals(20, AioRing.COMPAT_FEATURES, "compat_features"),
                () -> assertEquals(24, AioRing.INCOMPAT_FEATURES, "incompat_features"),
                () -> assertEquals(28, AioRing.HEADER_LENGTH, "header_length"));
    }

    @Test
    void statxOffsets() {
        assertAll(
                () -> assertEquals(0, Statx.STX_MASK, "stx_mask"),
                () -> assertEquals(4, Statx.STX_BLKSIZE, "stx_blksize"),
                () -> assertEquals(28, Statx.STX_MODE, "stx_mode"),
                () -> assertEquals(40, Statx.STX_SIZE, "stx_size"),
                () -> assertEquals(112, Statx.STX_MTIME, "stx_mtime"),
                () -> assertEquals(128, Statx.STX_RDEV_MAJOR, "stx_rdev_major"),
                () -> assertEquals(136, Statx.STX_DEV_MAJOR, "stx_dev_major"),
                () -> assertEquals(140, Statx.STX_DEV_MINOR, "stx_dev_minor"),
                () -> assertEquals(152, Statx.STX_DIO_MEM_ALIGN, "stx_dio_mem_align"),
                () -> assertEquals(156, Statx.STX_DIO_OFFSET_ALIGN, "stx_dio_offset_align"),
                () -> assertEquals(180, Statx.STX_DIO_READ_OFFSET_ALIGN, "stx_dio_read_offset_align"),
                () -> assertEquals(0x2000, Statx.STATX_DIOALIGN, "STATX_DIOALIGN"),
                () -> assertEquals(0x20000, Statx.STATX_DIO_READ_ALIGN, "STATX_DIO_READ_ALIGN"));
    }

    @Test
    void iocbCommandAndFlagConstants() {
        assertAll(
                () -> assertEquals(0, AioAbi.IOCB_CMD_PREAD),
                () -> assertEquals(1, AioAbi.IOCB_CMD_PWRITE),
                () -> assertEquals(2, AioAbi.IOCB_CMD_FSYNC),
                () -> assertEquals(3, AioAbi.IOCB_CMD_FDSYNC),
                () -> assertEquals(5, AioAbi.IOCB_CMD_POLL),
                () -> assertEquals(6, AioAbi.IOCB_CMD_NOOP),
                () -> assertEquals(7, AioAbi.IOCB_CMD_PREADV),
                () -> assertEquals(8, AioAbi.IOCB_CMD_PWRITEV),
                () -> assertEquals(1, AioAbi.IOCB_FLAG_RESFD),
                () -> assertEquals(2, AioAbi.IOCB_FLAG_IOPRIO),
                () -> assertEquals(0xa10a10a1, AioAbi.AIO_RING_MAGIC),
                () -> assertEquals(1024, AioAbi.UIO_MAXIOV));
    }

    @Test
    void rwfConstants() {
        assertAll(
                () -> assertEquals(0x01, AioAbi.RWF_HIPRI),
                () -> assertEquals(0x02, AioAbi.RWF_DSYNC),
                () -> assertEquals(0x04, AioAbi.RWF_SYNC),
                () -> assertEquals(0x08, AioAbi.RWF_NOWAIT),
                () -> assertEquals(0x10, AioAbi.RWF_APPEND),
                () -> assertEquals(0x20, AioAbi.RWF_NOAPPEND),
                () -> assertEquals(0x40, AioAbi.RWF_ATOMIC),
                () -> assertEquals(0x80, AioAbi.RWF_DONTCACHE),
                () -> assertEquals(0xff, AioAbi.RWF_SUPPORTED));
    }

    @Test
    void pollConstants() {
        assertAll(
                () -> assertEquals(0x001, AioAbi.POLLIN),
                () -> assertEquals(0x004, AioAbi.POLLOUT),
                () -> assertEquals(0x008, AioAbi.POLLERR),
                () -> assertEquals(0x010, AioAbi.POLLHUP),
                () -> assertEquals(0x020, AioAbi.POLLNVAL));
    }

    @Test
    void ioprioEncoding() {
        assertEquals(1 << 13, IoPrio.prioValue(IoPrio.IOPRIO_CLASS_RT, 0));
        assertEquals((2 << 13) | 4, IoPrio.prioValue(IoPrio.IOPRIO_CLASS_BE, 4));
        assertEquals(3 << 13, IoPrio.prioValue(IoPrio.IOPRIO_CLASS_IDLE, 0));
        assertEquals((1 << 13) | 7, IoPrio.prioLevel(IoPrio.IOPRIO_CLASS_RT, 7));
        for (int cls = 0; cls < IoPrio.IOPRIO_NR_CLASSES; cls++) {
            for (int data : new int[] {0, 1, 7, 8, 4095, IoPrio.IOPRIO_PRIO_MASK}) {
                int v = IoPrio.prioValue(cls, data);
                assertEquals(cls, IoPrio.prioClass(v), "class of " + v);
                assertEquals(data, IoPrio.prioData(v), "data of " + v);
                assertTrue(v >= 0 && v <= 0xffff, "fits aio_reqprio's 16 bits: " + v);
            }
            for (int level = 0; level < IoPrio.IOPRIO_NR_LEVELS; level++) {
                assertEquals(level, IoPrio.prioLevelOf(IoPrio.prioLevel(cls, level)));
            }
        }
    }

    @Test
    void ioprioRejectsOutOfRangeClassDataAndLevel() {
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioValue(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioValue(IoPrio.IOPRIO_NR_CLASSES, 0));
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioValue(IoPrio.IOPRIO_CLASS_BE, -1));
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioValue(IoPrio.IOPRIO_CLASS_BE, 1 << 13));
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioLevel(IoPrio.IOPRIO_CLASS_BE, 8));
        assertThrows(IllegalArgumentException.class, () -> IoPrio.prioLevel(IoPrio.IOPRIO_CLASS_RT, -1));
    }

    @Test
    void iocbPrepAndFlagHelpersWriteTheRightBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iocb = arena.allocate(Iocb.LAYOUT);
            iocb.fill((byte) 0x5a);
            MemorySegment buf = arena.allocate(16);
            Iocb.prepPread(iocb, 7, buf, 16, 4096);
            assertEquals(0, iocb.get(ValueLayout.JAVA_LONG, 0), "aio_data cleared");
            assertEquals(0, iocb.get(ValueLayout.JAVA_INT, 8), "aio_key cleared");
            assertEquals(0, iocb.get(ValueLayout.JAVA_INT, 12), "aio_rw_flags cleared");
            assertEquals(AioAbi.IOCB_CMD_PREAD, iocb.get(ValueLayout.JAVA_SHORT, 16));
            assertEquals(7, iocb.get(ValueLayout.JAVA_INT, 20));
            assertEquals(buf.address(), iocb.get(ValueLayout.JAVA_LONG, 24));
            assertEquals(16, iocb.get(ValueLayout.JAVA_LONG, 32));
            assertEquals(4096, iocb.get(ValueLayout.JAVA_LONG, 40));
            assertEquals(0, iocb.get(ValueLayout.JAVA_LONG, 48), "aio_reserved2 cleared");
            assertEquals(0, iocb.get(ValueLayout.JAVA_INT, 56));

            Iocb.setEventFd(iocb, 42);
            Iocb.setIoprio(iocb, IoPrio.prioValue(IoPrio.IOPRIO_CLASS_IDLE, 0));
            assertEquals(AioAbi.IOCB_FLAG_RESFD | AioAbi.IOCB_FLAG_IOPRIO, iocb.get(ValueLayout.JAVA_INT, 56));
            assertEquals(42, iocb.get(ValueLayout.JAVA_INT, 60));
            assertEquals((short) (3 << 13), iocb.get(ValueLayout.JAVA_SHORT, 18));

            Iocb.aioRwFlags(iocb, AioAbi.RWF_NOWAIT);
            assertEquals(AioAbi.RWF_NOWAIT, iocb.get(ValueLayout.JAVA_INT, 12));

            Iocb.prepPoll(iocb, 3, AioAbi.POLLIN | AioAbi.POLLOUT);
            assertEquals(AioAbi.IOCB_CMD_POLL, Iocb.aioLioOpcode(iocb));
            assertEquals(AioAbi.POLLIN | AioAbi.POLLOUT, Iocb.aioBuf(iocb));
            assertEquals(0, Iocb.aioFlags(iocb), "prep clears the flags set before");
        }
    }

    @Test
    void timespecAndSigsetHelpers() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(Timespec.LAYOUT);
            Timespec.set(ts, Duration.ofMillis(2_500));
            assertEquals(2, Timespec.tvSec(ts));
            assertEquals(500_000_000L, Timespec.tvNsec(ts));
            Timespec.set(ts, Duration.ofSeconds(-3));
            assertEquals(0, Timespec.tvSec(ts));
            assertEquals(0, Timespec.tvNsec(ts));
            Timespec.setNanos(ts, 3_000_000_007L);
            assertEquals(3, Timespec.tvSec(ts));
            assertEquals(7, Timespec.tvNsec(ts));

            MemorySegment mask = arena.allocate(AioSigset.KERNEL_SIGSET_SIZE);
            AioSigset.addSignal(mask, 10); // SIGUSR1
            AioSigset.addSignal(mask, 64);
            assertEquals((1L << 9) | (1L << 63), mask.get(ValueLayout.JAVA_LONG, 0));
            assertThrows(IllegalArgumentException.class, () -> AioSigset.addSignal(mask, 0));
            assertThrows(IllegalArgumentException.class, () -> AioSigset.addSignal(mask, 65));
        }
    }

    @Test
    void x86_64SyscallNumbers() {
        LinuxArch a = LinuxArch.X86_64;
        assertAll(
                () -> assertEquals(206, a.sysIoSetup, "io_setup"),
                () -> assertEquals(207, a.sysIoDestroy, "io_destroy"),
                () -> assertEquals(208, a.sysIoGetevents, "io_getevents"),
                () -> assertEquals(209, a.sysIoSubmit, "io_submit"),
                () -> assertEquals(210, a.sysIoCancel, "io_cancel"),
                () -> assertEquals(333, a.sysIoPgetevents, "io_pgetevents"),
                () -> assertEquals(0x4000, a.oDirect, "O_DIRECT"),
                () -> assertEquals(0x10000, a.oDirectory, "O_DIRECTORY"));
    }

    @Test
    void aarch64SyscallNumbers() {
        LinuxArch a = LinuxArch.AARCH64;
        assertAll(
                () -> assertEquals(0, a.sysIoSetup, "io_setup"),
                () -> assertEquals(1, a.sysIoDestroy, "io_destroy"),
                () -> assertEquals(4, a.sysIoGetevents, "io_getevents"),
                () -> assertEquals(2, a.sysIoSubmit, "io_submit"),
                () -> assertEquals(3, a.sysIoCancel, "io_cancel"),
                () -> assertEquals(292, a.sysIoPgetevents, "io_pgetevents"),
                () -> assertEquals(0x10000, a.oDirect, "O_DIRECT"),
                () -> assertEquals(0x4000, a.oDirectory, "O_DIRECTORY"));
    }

    @Test
    void archDetection() {
        assertSame(LinuxArch.X86_64, LinuxArch.detect("Linux", "amd64"));
        assertSame(LinuxArch.X86_64, LinuxArch.detect("Linux", "x86_64"));
        assertSame(LinuxArch.AARCH64, LinuxArch.detect("Linux", "aarch64"));
        assertNull(LinuxArch.detect("Linux", "sparcv9"), "unknown architecture");
        assertNull(LinuxArch.detect("Linux", "s390x"), "unknown architecture");
        assertNull(LinuxArch.detect("Mac OS X", "aarch64"), "not Linux");
        assertNull(LinuxArch.detect("Windows 11", "amd64"), "not Linux");
        assertSame(LinuxArch.X86_64, LinuxArch.current(), "this machine is x86_64 Linux");
        assertEquals(LinuxArch.X86_64.oDirect, LibC.O_DIRECT);
        assertEquals(LinuxArch.X86_64.oDirectory, LibC.O_DIRECTORY);
    }

    @Test
    void errnoExceptionMessageNamesCallErrnoStrerrorAndMeaning() throws ErrnoException {
        ErrnoException e = new ErrnoException("io_setup", 11);
        String m = e.getMessage();
        assertAll(
                () -> assertTrue(m.contains("io_setup"), m),
                () -> assertTrue(m.contains("-11"), m),
                () -> assertTrue(m.contains("EAGAIN"), m),
                () -> assertTrue(m.contains("Resource temporarily unavailable"), m),
                () -> assertTrue(m.contains(Errno.describe(Errno.EAGAIN)), m),
                () -> assertTrue(m.contains("nr_events exceeds /proc/sys/fs/aio-max-nr"), m),
                () -> assertEquals("io_setup", e.call()),
                () -> assertEquals(11, e.errno()),
                () -> assertEquals("EAGAIN", e.errnoName()));
        ErrnoException negative = new ErrnoException("io_submit", -22, "fd 3");
        assertEquals(22, negative.errno(), "a negative errno is stored positive");
        assertTrue(negative.getMessage().contains("EINVAL") && negative.getMessage().endsWith("; fd 3"),
                negative.getMessage());
        ErrnoException thrown = assertThrows(ErrnoException.class, () -> ErrnoException.check("io_cancel", -22));
        assertEquals(Errno.EINVAL, thrown.errno());
        assertEquals(5, ErrnoException.check("io_submit", 5), "a non-negative result passes through");
    }
}

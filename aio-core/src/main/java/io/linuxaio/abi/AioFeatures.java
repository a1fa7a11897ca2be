package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What this kernel's AIO supports, probed once (on a memfd, in a context of its own that is
 * destroyed before the probe returns): {@code IOCB_CMD_FSYNC}/{@code FDSYNC} (4.18+),
 * {@code IOCB_CMD_POLL} (4.19+), {@code io_pgetevents} (4.18+, may be denied by seccomp) and
 * {@code RWF_NOWAIT} for AIO (4.14+). Get it from {@link LinuxAio#features()}.
 *
 * @param fsync whether {@code IOCB_CMD_FSYNC} and {@code IOCB_CMD_FDSYNC} are accepted
 * @param poll whether {@code IOCB_CMD_POLL} is accepted
 * @param pgetevents whether {@code io_pgetevents} can be called
 * @param nowait whether {@code aio_rw_flags} takes {@code RWF_NOWAIT}
 */
public record AioFeatures(boolean fsync, boolean poll, boolean pgetevents, boolean nowait) {

    static final class Holder {
        static final AioFeatures INSTANCE = probe();
    }

    private static AioFeatures probe() {
        try (Arena arena = Arena.ofConfined()) {
            long ctx;
            try {
                ctx = LinuxAio.ioSetup(4);
            } catch (ErrnoException e) {
                return new AioFeatures(false, false, false, false);
            }
            int fd = LibC.memfd_create(arena.allocateFrom("linux-aio-probe"), LibC.MFD_CLOEXEC);
            try {
                MemorySegment iocb = arena.allocate(Iocb.LAYOUT);
                MemorySegment iocbpp = arena.allocate(ValueLayout.ADDRESS);
                iocbpp.set(ValueLayout.ADDRESS, 0, iocb);
                MemorySegment events = arena.allocate(IoEvent.LAYOUT, 4);
                MemorySegment timeout = arena.allocate(Timespec.LAYOUT);
                Timespec.setNanos(timeout, 1_000_000_000L);
                MemorySegment buf = arena.allocate(64, 64);
                if (fd >= 0) {
                    LibC.ftruncate(fd, 4096);
                }

                boolean fsync = false;
                boolean poll = false;
                boolean nowait = false;
                if (fd >= 0) {
                    Iocb.prepFsync(iocb, fd, false);
                    fsync = submitAndWait(ctx, iocbpp, events, timeout) >= 0;
                    Iocb.prepPoll(iocb, fd, AioAbi.POLLIN);
                    poll = submitAndWait(ctx, iocbpp, events, timeout) >= 0;
                    Iocb.prepPread(iocb, fd, buf, buf.byteSize(), 0);
                    Iocb.aioRwFlags(iocb, AioAbi.RWF_NOWAIT);
                    long r = LinuxAio.io_submit(ctx, 1, iocbpp);
                    if (r == 1) {
                        LinuxAio.io_getevents(ctx, 1, 1, events, timeout);
                    }
                    // EINVAL: the kernel does not know aio_rw_flags; EOPNOTSUPP: it does, memfd does not.
                    nowait = r == 1 || r == -Errno.EOPNOTSUPP;
                }
                boolean pgetevents = LinuxAio.io_pgetevents(ctx, 0, 1, events, timeout.fill((byte) 0),
                        MemorySegment.NULL) >= 0;
                return new AioFeatures(fsync, poll, pgetevents, nowait);
            } finally {
                if (fd >= 0) {
                    LibC.close(fd);
                }
                LinuxAio.io_destroy(ctx);
            }
        }
    }

    /** Submits one iocb and waits for it: its {@code res}, or the submit error (negative) with a large offset. */
    private static long submitAndWait(long ctx, MemorySegment iocbpp, MemorySegment events, MemorySegment timeout) {
        long r = LinuxAio.io_submit(ctx, 1, iocbpp);
        if (r != 1) {
            return Long.MIN_VALUE;
        }
        long n = LinuxAio.io_getevents(ctx, 1, 1, events, timeout);
        return n == 1 ? IoEvent.res(events, 0) : Long.MIN_VALUE;
    }
}

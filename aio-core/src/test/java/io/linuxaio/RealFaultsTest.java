package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.AioLimits;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.IoEvent;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.abi.Timespec;
import io.linuxaio.testing.Futures;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults produced for real, not simulated: a full ext4 filesystem on a loop device (ENOSPC), an ext4
 * filesystem shut down with {@code EXT4_IOC_SHUTDOWN} (EIO), a loop device whose backing file shrank under
 * it (EIO on reads), an ext4 filesystem remounted read-only by an error (EROFS), a write past ext4's
 * largest offset (EFBIG), a descriptor closed with requests in flight, a context closed with requests in
 * flight, a ring of one slot.
 *
 * <p>Each fault checks that the affected futures fail with an {@link AioIOException} carrying the
 * operation, the file, the position, the length and the errno; that requests the fault does not touch
 * complete normally; that no future stays pending (every one is waited for with a timeout); and that
 * the same context serves a file on the root filesystem afterwards.
 *
 * <p>Loop devices, {@code mkfs.ext4} and {@code mount} need root: without it those tests are skipped.
 * Every image, loop device and mount is undone in {@link #cleanUp()}, whatever happened in the test.
 */
@ExtendWith(LeakCheck.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RealFaultsTest {

    /** {@code EXT4_IOC_SHUTDOWN = _IOR('X', 125, __u32)} (x86_64, aarch64, riscv64: the asm-generic encoding). */
    private static final long EXT4_IOC_SHUTDOWN = 0x8004587DL;
    /** Shut down without flushing the journal: every later I/O on the filesystem fails with EIO. */
    private static final int EXT4_GOING_FLAGS_NOLOGFLUSH = 2;

    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    /** Undo actions (umount, losetup -d, image removal), run last-in first-out after each test. */
    private final Deque<Undo> cleanups = new ArrayDeque<>();

    @FunctionalInterface
    private interface Undo {
        void run() throws Exception;
    }

    @AfterEach
    void cleanUp() throws Exception {
        Exception first = null;
        while (!cleanups.isEmpty()) {
            try {
                cleanups.pop().run();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ================================================================== 1. ENOSPC

    @Test
    void directWritesFillAnExt4LoopUntilEnospc() throws Exception {
        Path mnt = mountExt4("enospc-direct");
        Path p = mnt.resolve("fill");
        try (AioContext ctx = AioContext.builder().queueDepth(64).name("enospc-direct").build()) {
            AioIOException enospc = null;
            long written = 0;
            int failures = 0;
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE, AioOpenOption.DIRECT)) {
                ByteBuffer block = f.allocateAligned(4096);
                byte[] pattern = TestFiles.random(4096, 1);
                block.put(pattern).flip();
                long pos = 0;
                int batch = 32;
                // the filesystem holds less than 16 MiB: stop at 64 MiB whatever happens
                while (enospc == null && pos < 64L * MIB) {
                    List<CompletableFuture<Integer>> fs = new ArrayList<>();
                    for (int i = 0; i < batch; i++) {
                        fs.add(f.writeAsync(pos + i * 4096L, block.duplicate()));
                    }
                    for (int i = 0; i < batch; i++) {
                        long at = pos + i * 4096L;
                        try {
                            assertEquals(4096, await(fs.get(i)), "O_DIRECT write at " + at);
                            written += 4096;
                        } catch (java.util.concurrent.ExecutionException e) {
                            AioIOException io = assertIoError(e.getCause(), "pwrite", p, at, 4096, Errno.ENOSPC);
                            failures++;
                            if (enospc == null) {
                                enospc = io;
                            }
                        }
                    }
                    pos += batch * 4096L;
                }
                assertNotNull(enospc, "64 MiB of O_DIRECT writes fit into a 16 MiB filesystem");
                assertTrue(enospc.getMessage().contains(p.toString()), enospc.getMessage());
                assertTrue(enospc.getMessage().contains("ENOSPC"), enospc.getMessage());
                assertEquals("ENOSPC", enospc.errnoName());
                assertTrue(written > 4 * MIB && written < 16L * MIB, "bytes written before ENOSPC: " + written);
                System.out.println("[ENOSPC O_DIRECT] " + written + " bytes written in 4 KiB O_DIRECT writes, then "
                        + failures + " write(s) failed: " + enospc.getMessage());

                // unaffected on the full filesystem: reading back, and overwriting allocated blocks
                ByteBuffer back = f.allocateAligned(4096);
                assertEquals(4096, await(f.readAsync(0, back)));
                assertArrayEquals(pattern, bytes(back.flip()));
                assertEquals(4096, await(f.writeAsync(4096, block.duplicate())), "overwrite on a full filesystem");
                await(f.fdatasync());
            }
            assertContextServesRootFs(ctx);
        }
    }

    @Test
    void bufferedWritesGoShortThenFailWithEnospc() throws Exception {
        Path mnt = mountExt4("enospc-buffered");
        Path p = mnt.resolve("fill");
        // not a multiple of the page size: each write starts inside a page the previous one reserved
        int chunk = MIB + 1000;
        byte[] data = TestFiles.random(chunk, 2);
        ByteBuffer src = ByteBuffer.allocateDirect(chunk).put(data).flip();
        try (AioContext ctx = AioContext.builder().queueDepth(16).name("enospc-buffered").build()) {
            long shortAt = -1;
            int shortCount = -1;
            AioIOException enospc = null;
            long pos = 0;
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE)) {
                for (int i = 0; i < 64 && enospc == null; i++) {
                    CompletableFuture<Integer> w = f.writeAsync(pos, src.duplicate());
                    try {
                        int n = await(w);
                        assertTrue(n > 0 && n <= chunk, "write count " + n);
                        if (n < chunk && shortAt < 0) {
                            shortAt = pos;
                            shortCount = n;
                        }
                        pos += n;
                    } catch (java.util.concurrent.ExecutionException e) {
                        enospc = assertIoError(e.getCause(), "pwrite", p, pos, chunk, Errno.ENOSPC);
                    }
                }
                System.out.println("[ENOSPC buffered] writes of " + chunk + " bytes: short write of " + shortCount
                        + " bytes at position " + shortAt + ", then " + (enospc == null ? "no failure" : enospc.getMessage())
                        + "; " + pos + " bytes in the file");
                assertTrue(shortAt >= 0, "no buffered write went short before the filesystem was full");
                assertNotNull(enospc, "buffered writes never failed with ENOSPC");
                assertTrue(enospc.position() > shortAt, "the ENOSPC failure came after the short write");
                assertTrue(enospc.getMessage().contains(p.toString()), enospc.getMessage());

                // unaffected: what was written reads back, through the same context
                ByteBuffer back = ByteBuffer.allocateDirect(chunk);
                assertEquals(chunk, await(f.readAsync(0, back)));
                assertArrayEquals(data, bytes(back.flip()));
                ByteBuffer tail = ByteBuffer.allocateDirect(shortCount);
                assertEquals(shortCount, await(f.readAsync(shortAt, tail)));
                assertArrayEquals(Arrays.copyOf(data, shortCount), bytes(tail.flip()));
                assertEquals(pos, f.size());
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== 2. EIO: filesystem shut down

    @Test
    void everyRequestOnAShutDownExt4FailsWithEio() throws Exception {
        Path mnt = mountExt4("shutdown");
        Path p = mnt.resolve("buffered");
        Path d = mnt.resolve("direct");
        byte[] data = TestFiles.random(8192, 3);
        try (AioContext ctx = AioContext.builder().queueDepth(32).name("shutdown").build()) {
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE);
                 AioFile df = ctx.open(d, READ, WRITE, CREATE, AioOpenOption.DIRECT)) {
                assertEquals(8192, await(f.writeAsync(0, ByteBuffer.allocateDirect(8192).put(data).flip())));
                await(f.fsync());
                ByteBuffer block = df.allocateAligned(4096);
                block.put(data, 0, 4096).flip();
                assertEquals(4096, await(df.writeAsync(0, block.duplicate())));
                await(df.fsync());

                shutDown(mnt);

                List<CompletableFuture<?>> all = new ArrayList<>();
                CompletableFuture<Integer> read = f.readAsync(0, ByteBuffer.allocateDirect(4096));
                CompletableFuture<Integer> write = f.writeAsync(0, ByteBuffer.allocateDirect(4096));
                CompletableFuture<Void> fsync = f.fsync();
                CompletableFuture<Void> fdatasync = f.fdatasync();
                CompletableFuture<Integer> dread = df.readAsync(0, df.allocateAligned(4096));
                CompletableFuture<Integer> dwrite = df.writeAsync(0, block.duplicate());
                CompletableFuture<Void> dfsync = df.fsync();
                all.addAll(List.of(read, write, fsync, fdatasync, dread, dwrite, dfsync));
                assertIoError(failure(read), "pread", p, 0, 4096, Errno.EIO);
                assertIoError(failure(write), "pwrite", p, 0, 4096, Errno.EIO);
                assertIoError(failure(fsync), "fsync", p, -1, -1, Errno.EIO);
                assertIoError(failure(fdatasync), "fdatasync", p, -1, -1, Errno.EIO);
                assertIoError(failure(dread), "pread", d, 0, 4096, Errno.EIO);
                assertIoError(failure(dwrite), "pwrite", d, 0, 4096, Errno.EIO);
                AioIOException last = assertIoError(failure(dfsync), "fsync", d, -1, -1, Errno.EIO);
                System.out.println("[EIO shutdown] buffered pread/pwrite/fsync/fdatasync and O_DIRECT pread/pwrite/fsync "
                        + "all gave EIO, e.g. " + last.getMessage());
                for (CompletableFuture<?> c : all) {
                    assertTrue(c.isDone());
                }
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== 3. EIO: a loop device past its backing file

    @Test
    void directReadsPastTheShrunkBackingFileOfALoopDeviceFailWithEio() throws Exception {
        assumeLoopDevices();
        byte[] data = TestFiles.random(16 * MIB, 4);
        Path img = dir.resolve("raw.img");
        Files.write(img, data);
        String dev = attachLoop(img);
        Path devPath = Path.of(dev);
        try (AioContext ctx = AioContext.builder().queueDepth(32).name("loop-eio").build()) {
            try (AioFile f = ctx.open(devPath, READ, AioOpenOption.DIRECT)) {
                int logical;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                    ErrnoException.check("ioctl(BLKSSZGET)", LibC.ioctl(f.fd(), LibC.BLKSSZGET, size));
                    logical = size.get(ValueLayout.JAVA_INT, 0);
                }
                DirectIoAlignment a = f.alignment();
                assertEquals(logical, a.offsetAlignment(), a.toString());
                System.out.println("[EIO loop] " + dev + ": logical block size " + logical + " (BLKSSZGET), alignment " + a);

                int len = 64 * KIB;
                // before the shrink: the end of the device reads as written
                ByteBuffer before = f.allocateAligned(len);
                assertEquals(len, await(f.readAsync(12L * MIB, before)));
                assertArrayEquals(Arrays.copyOfRange(data, 12 * MIB, 12 * MIB + len), bytes(before.flip()));

                try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
                    ch.truncate(4L * MIB); // the loop driver is not told (no losetup -c): the device stays 16 MiB
                }

                long[] below = {0, MIB, 4L * MIB - len};
                long[] past = {4L * MIB, 8L * MIB, 12L * MIB, 16L * MIB - len};
                List<CompletableFuture<Integer>> good = new ArrayList<>();
                List<ByteBuffer> goodBufs = new ArrayList<>();
                List<CompletableFuture<Integer>> bad = new ArrayList<>();
                for (int i = 0; i < Math.max(below.length, past.length); i++) {
                    if (i < past.length) {
                        bad.add(f.readAsync(past[i], f.allocateAligned(len)));
                    }
                    if (i < below.length) {
                        ByteBuffer b = f.allocateAligned(len);
                        goodBufs.add(b);
                        good.add(f.readAsync(below[i], b));
                    }
                }
                for (int i = 0; i < below.length; i++) {
                    assertEquals(len, await(good.get(i)), "read at " + below[i]);
                    int at = (int) below[i];
                    assertArrayEquals(Arrays.copyOfRange(data, at, at + len), bytes(goodBufs.get(i).flip()));
                }
                for (int i = 0; i < past.length; i++) {
                    CompletableFuture<Integer> r = bad.get(i);
                    try {
                        await(r);
                        Assumptions.abort("this kernel's loop driver completed an O_DIRECT read at " + past[i]
                                + " past the end of the shrunk backing file normally instead of with EIO");
                    } catch (java.util.concurrent.ExecutionException e) {
                        AioIOException io = assertIoError(e.getCause(), "pread", devPath, past[i], len, Errno.EIO);
                        if (i == 0) {
                            System.out.println("[EIO loop] " + io.getMessage());
                        }
                    }
                }
                // the device still serves reads below the end of the backing file afterwards
                ByteBuffer again = f.allocateAligned(len);
                assertEquals(len, await(f.readAsync(MIB, again)));
                assertArrayEquals(Arrays.copyOfRange(data, MIB, MIB + len), bytes(again.flip()));
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== 4. EROFS: errors=remount-ro

    @Test
    void afterAnExt4ErrorRemountsReadOnlyWritesFailAndReadsWork() throws Exception {
        Path mnt = mountExt4("erofs", "errors=remount-ro");
        String name = mountedLoop(mnt).getFileName().toString();
        Path trigger = Path.of("/sys/fs/ext4", name, "trigger_fs_error");
        Assumptions.assumeTrue(Files.isWritable(trigger), trigger + " does not exist: this kernel cannot trigger an ext4 error");
        Path p = mnt.resolve("buffered");
        Path d = mnt.resolve("direct");
        byte[] data = TestFiles.random(8192, 5);
        try (AioContext ctx = AioContext.builder().queueDepth(32).name("erofs").build()) {
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE);
                 AioFile df = ctx.open(d, READ, WRITE, CREATE, AioOpenOption.DIRECT)) {
                assertEquals(8192, await(f.writeAsync(0, ByteBuffer.allocateDirect(8192).put(data).flip())));
                await(f.fsync());
                ByteBuffer block = df.allocateAligned(8192);
                block.put(data).flip();
                assertEquals(8192, await(df.writeAsync(0, block.duplicate())));
                await(df.fsync());

                Files.writeString(trigger, "1");
                String options = awaitReadOnly(mnt);

                CompletableFuture<Integer> write = f.writeAsync(0, ByteBuffer.allocateDirect(4096));
                CompletableFuture<Integer> append = f.writeAsync(8192, ByteBuffer.allocateDirect(4096));
                CompletableFuture<Integer> dwrite = df.writeAsync(0, df.allocateAligned(4096));
                CompletableFuture<Integer> dappend = df.writeAsync(8192, df.allocateAligned(4096));
                CompletableFuture<Void> fsync = f.fsync();
                ByteBuffer readBuf = ByteBuffer.allocateDirect(8192);
                CompletableFuture<Integer> read = f.readAsync(0, readBuf);
                ByteBuffer dreadBuf = df.allocateAligned(8192);
                CompletableFuture<Integer> dread = df.readAsync(0, dreadBuf);

                AioIOException w = assertIoError(failure(write), "pwrite", p, 0, 4096, Errno.EROFS);
                assertIoError(failure(append), "pwrite", p, 8192, 4096, Errno.EROFS);
                AioIOException dw = assertIoError(failure(dwrite), "pwrite", d, 0, 4096, Errno.EROFS);
                assertIoError(failure(dappend), "pwrite", d, 8192, 4096, Errno.EROFS);
                // ext4 answers EROFS for fsync too once it is in emergency read-only (6.18)
                AioIOException fs = assertIoError(failure(fsync), "fsync", p, -1, -1, Errno.EROFS);
                // reads still work
                assertEquals(8192, await(read));
                assertArrayEquals(data, bytes(readBuf.flip()));
                assertEquals(8192, await(dread));
                assertArrayEquals(data, bytes(dreadBuf.flip()));
                System.out.println("[EROFS] buffered write: " + w.errnoName() + ", O_DIRECT write: " + dw.errnoName()
                        + ", fsync: " + fs.errnoName() + "; reads work; mount options after the error: " + options + ". " + w.getMessage());
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== 5. EFBIG

    @Test
    void writesPastTheLargestExt4OffsetFailWithEfbig() throws Exception {
        String type = Files.getFileStore(dir).type();
        Assumptions.assumeTrue("ext4".equals(type), "the temporary directory is on " + type
                + ", not ext4: its largest offset is not known here");
        long far = (1L << 44) + 4096; // past ext4's s_maxbytes with 4 KiB blocks: 16 TiB - 4 KiB
        Path p = dir.resolve("efbig-buffered");
        Path d = dir.resolve("efbig-direct");
        try (AioContext ctx = AioContext.builder().queueDepth(16).name("efbig").build()) {
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE);
                 AioFile df = ctx.open(d, READ, WRITE, CREATE, AioOpenOption.DIRECT)) {
                ByteBuffer block = df.allocateAligned(4096);
                block.put(TestFiles.random(4096, 6)).flip();
                CompletableFuture<Integer> bad = f.writeAsync(far, ByteBuffer.allocateDirect(4096));
                CompletableFuture<Integer> good = f.writeAsync(0, block.duplicate());
                CompletableFuture<Integer> dbad = df.writeAsync(far, block.duplicate());
                CompletableFuture<Integer> dgood = df.writeAsync(0, block.duplicate());
                AioIOException b = assertIoError(failure(bad), "pwrite", p, far, 4096, Errno.EFBIG);
                AioIOException db = assertIoError(failure(dbad), "pwrite", d, far, 4096, Errno.EFBIG);
                assertEquals(4096, await(good));
                assertEquals(4096, await(dgood));
                assertEquals(4096, f.size());
                assertEquals(4096, df.size());
                System.out.println("[EFBIG] " + b.getMessage() + " / " + db.getMessage());
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== 6. a descriptor closed with requests in flight

    @Test
    void aioFileCloseWaitsForInFlightDirectReadsBeforeClosingTheDescriptor() throws Exception {
        int size = 32 * MIB;
        int len = 128 * KIB;
        byte[] data = TestFiles.random(size, 7);
        Path p = TestFiles.file(dir, "inflight", data);
        try (AioContext ctx = AioContext.builder().queueDepth(256).name("file-close").build()) {
            AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
            int fd = f.fd();
            int n = size / len;
            List<ByteBuffer> bufs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                bufs.add(f.allocateAligned(len));
            }
            // task 1 on the owner: the reads, handed to the kernel in one io_submit when the task ends
            List<CompletableFuture<Integer>> reads = Futures.call(ctx.ownerExecutor(), () -> {
                List<CompletableFuture<Integer>> fs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    fs.add(f.readAsync((long) i * len, bufs.get(i)));
                }
                return fs;
            });
            // task 2 on the owner, after the io_submit: close with the reads in the kernel
            record AtClose(int pending, boolean closeDone, boolean fdStillOurs, Throwable refused) {
            }
            AtClose c = Futures.call(ctx.ownerExecutor(), () -> {
                int pending = (int) reads.stream().filter(r -> !r.isDone()).count();
                f.close();
                boolean closeDone = f.closeFuture().isDone();
                boolean fdOurs = p.toString().equals(fdTarget(fd));
                CompletableFuture<Integer> late = f.readAsync(0, f.allocateAligned(4096));
                return new AtClose(pending, closeDone, fdOurs, late.isCompletedExceptionally() ? late.exceptionNow() : null);
            });
            assertTrue(c.pending() > 0, "every read completed before close(): nothing was in flight");
            assertFalse(c.closeDone(), "close() closed the descriptor with " + c.pending() + " reads in flight");
            assertTrue(c.fdStillOurs(), "the descriptor was not " + p + " right after close()");
            assertInstanceOf(AioClosedException.class, c.refused());
            for (int i = 0; i < n; i++) {
                assertEquals(len, await(reads.get(i)), "read " + i);
                int at = i * len;
                assertArrayEquals(Arrays.copyOfRange(data, at, at + len), bytes(bufs.get(i).flip()), "read " + i);
            }
            await(f.closeFuture());
            assertNotEquals(p.toString(), fdTarget(fd), "the descriptor is still open after closeFuture()");
            System.out.println("[close in flight] AioFile.close() with " + c.pending() + " of " + n
                    + " O_DIRECT reads in the kernel: all completed, then the descriptor was closed");
            assertContextServesRootFs(ctx);
        }
    }

    @Test
    void rawBindingCompletionsArriveAfterTheDescriptorIsClosed() throws Exception {
        int len = 64 * KIB;
        int n = 64;
        byte[] data = TestFiles.random(n * len, 8);
        Path p = TestFiles.file(dir, "raw-close", data);
        long ctx = LinuxAio.ioSetup(n);
        int fd = -1;
        int got = 0;
        try (Arena arena = Arena.ofShared()) {
            try {
                fd = LibC.open(p, LibC.O_RDONLY | LibC.O_DIRECT | LibC.O_CLOEXEC, 0);
                MemorySegment iocbs = arena.allocate(Iocb.LAYOUT, n);
                MemorySegment list = arena.allocate(ValueLayout.ADDRESS, n);
                MemorySegment bufs = arena.allocate((long) n * len, 4096);
                for (int i = 0; i < n; i++) {
                    MemorySegment iocb = iocbs.asSlice(i * Iocb.SIZE, Iocb.SIZE);
                    Iocb.prepPread(iocb, fd, bufs.asSlice((long) i * len, len), len, (long) i * len);
                    Iocb.aioData(iocb, i);
                    list.setAtIndex(ValueLayout.ADDRESS, i, iocb);
                }
                assertEquals(n, LinuxAio.ioSubmit(ctx, n, list));
                assertEquals(0, LibC.close(fd), "close(fd) with " + n + " reads in flight");
                int closedFd = fd;
                fd = -1;
                assertNotEquals(p.toString(), fdTarget(closedFd));

                MemorySegment events = arena.allocate(IoEvent.LAYOUT, n);
                MemorySegment timeout = arena.allocate(Timespec.LAYOUT);
                boolean[] seen = new boolean[n];
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (got < n && System.nanoTime() < deadline) {
                    Timespec.setNanos(timeout, 1_000_000_000L);
                    int r = LinuxAio.ioGetevents(ctx, 1, n - got, events, timeout);
                    for (int e = 0; e < r; e++) {
                        int i = (int) IoEvent.data(events, e);
                        assertFalse(seen[i], "two completions for request " + i);
                        seen[i] = true;
                        assertEquals(len, IoEvent.res(events, e), "request " + i + " after close(fd)");
                        byte[] b = bufs.asSlice((long) i * len, len).toArray(ValueLayout.JAVA_BYTE);
                        assertArrayEquals(Arrays.copyOfRange(data, i * len, (i + 1) * len), b, "request " + i);
                    }
                    got += r;
                }
                assertEquals(n, got, "completions that arrived within 30 s");
                System.out.println("[raw close] " + n + " O_DIRECT reads submitted, fd closed at once: all " + got
                        + " completions arrived with " + len + " bytes each");
            } finally {
                if (fd >= 0) {
                    LibC.close(fd);
                }
                LinuxAio.ioDestroy(ctx); // waits for anything still in flight: only then is the arena freed
            }
        }
    }

    // ================================================================== 7. a context closed with requests in flight

    @Test
    void contextClosedFromAnotherThreadWithReadsAndAPollInFlight() throws Exception {
        int size = 32 * MIB;
        int len = 64 * KIB;
        byte[] data = TestFiles.random(size, 9);
        Path p = TestFiles.file(dir, "ctx-close", data);
        int depth = 128;
        long nativeBefore = AioContext.liveNativeBytes();
        long aioNrBefore = AioLimits.aioNr();
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            AioContext ctx = AioContext.builder().queueDepth(depth).name("ctx-close").build();
            long kernelCtx = ctx.engine().kernelContext();
            assertTrue(ringMapped(kernelCtx), "the kernel's ring of " + ctx + " is not in /proc/self/maps");
            int n = size / len; // 512: more than the depth, so some wait for a slot
            List<ByteBuffer> bufs = new ArrayList<>();
            List<CompletableFuture<Integer>> reads = new ArrayList<>();
            CompletableFuture<Integer> poll;
            AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
            try {
                poll = ctx.poll(pipe[0], AioAbi.POLLIN);
                for (int i = 0; i < n; i++) {
                    ByteBuffer b = f.allocateAligned(len);
                    bufs.add(b);
                    reads.add(f.readAsync((long) i * len, b));
                }
                long aioNrOpen = AioLimits.aioNr();
                Thread closer = new Thread(ctx::close, "closer");
                closer.start();
                closer.join(60_000);
                assertFalse(closer.isAlive(), "AioContext.close() did not return within 60 s");
                long aioNrClosed = AioLimits.aioNr();
                assertTrue(ctx.closeFuture().isDone(), "close() returned before the teardown");
                assertFalse(ctx.isOpen());

                for (int i = 0; i < n; i++) {
                    assertEquals(len, await(reads.get(i)), "read " + i);
                    int at = i * len;
                    assertArrayEquals(Arrays.copyOfRange(data, at, at + len), bytes(bufs.get(i).flip()), "read " + i);
                }
                Throwable t = failure(poll);
                assertInstanceOf(AioAbandonedException.class, t);
                assertFalse(ringMapped(kernelCtx), "the kernel's ring is still mapped after close(): io_destroy not called");
                // aio-nr is system-wide (other JVMs may open contexts meanwhile): our share must be gone
                boolean dropped = aioNrOpen - aioNrClosed == depth;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!dropped && AioLimits.aioNr() != aioNrBefore && System.nanoTime() < deadline) {
                    Thread.sleep(50); // only when another process changed aio-nr meanwhile
                }
                assertTrue(dropped || AioLimits.aioNr() == aioNrBefore, "aio-nr: before open " + aioNrBefore
                        + ", before close " + aioNrOpen + ", after close " + aioNrClosed + ", now " + AioLimits.aioNr());
                assertEquals(nativeBefore, AioContext.liveNativeBytes(), "native memory after close()");
                System.out.println("[context close] " + n + " O_DIRECT reads and a pipe poll in flight; close() from another "
                        + "thread: reads completed, poll failed with " + t + "; aio-nr " + aioNrOpen + " -> " + aioNrClosed);
            } finally {
                f.close();
                ctx.close();
            }
            await(f.closeFuture());
            // the library is usable afterwards: a new context
            try (AioContext again = AioContext.builder().queueDepth(8).name("after-close").build()) {
                assertContextServesRootFs(again);
            }
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    @Test
    void aPollCancelledByCloseIsCountedOnceInTheMetrics() throws Exception {
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            AioContext ctx = AioContext.builder().queueDepth(8).name("poll-metrics").build();
            CompletableFuture<Integer> poll;
            try {
                poll = ctx.poll(pipe[0], AioAbi.POLLIN);
                // the poll is in the kernel once a request made after it has completed (one batch, one io_submit)
                CompletableFuture<Integer> probe = ctx.poll(pipe[1], AioAbi.POLLOUT);
                assertTrue((await(probe) & AioAbi.POLLOUT) != 0);
                assertFalse(poll.isDone());
            } finally {
                ctx.close();
            }
            assertInstanceOf(AioAbandonedException.class, failure(poll));
            AioMetrics m = ctx.metrics(); // the owner has stopped: the counters are final
            System.out.println("[poll metrics] after close: " + m);
            assertEquals(1, m.completed(), m.toString());
            assertEquals(1, m.failed(), "one request failed (the poll), but " + m);
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    // ================================================================== 8. ring full

    @Test
    void aRingOfOneSlotTakesTwoHundredDirectReads() throws Exception {
        int len = 4096;
        int n = 200;
        byte[] data = TestFiles.random(n * len, 10);
        Path p = TestFiles.file(dir, "ring-full", data);
        try (AioContext ctx = AioContext.builder().queueDepth(1).name("ring-full").build()) {
            try (AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT)) {
                List<ByteBuffer> bufs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    bufs.add(f.allocateAligned(len));
                }
                List<CompletableFuture<Integer>> reads = Futures.call(ctx.ownerExecutor(), () -> {
                    List<CompletableFuture<Integer>> fs = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        fs.add(f.readAsync((long) i * len, bufs.get(i)));
                    }
                    return fs;
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(len, await(reads.get(i)), "read " + i);
                    assertArrayEquals(Arrays.copyOfRange(data, i * len, (i + 1) * len), bytes(bufs.get(i).flip()));
                }
                AioMetrics metrics = Futures.call(ctx.ownerExecutor(), ctx::metrics); // read on the owner: no lag
                assertTrue(metrics.ringFullWaits() > 0, metrics.toString());
                assertEquals(n, metrics.completed(), metrics.toString());
                assertEquals(0, metrics.failed(), metrics.toString());
                assertEquals(0, metrics.inFlight(), metrics.toString());
                assertEquals(0, metrics.queued(), metrics.toString());
                System.out.println("[ring full] " + metrics);
            }
            assertContextServesRootFs(ctx);
        }
    }

    // ================================================================== helpers: assertions

    /** {@code t} is an {@link AioIOException} for {@code op} on {@code file} at {@code position}/{@code length} with {@code errno}. */
    private static AioIOException assertIoError(Throwable t, String op, Path file, long position, long length, int errno) {
        AioIOException e = assertInstanceOf(AioIOException.class, t, () -> "expected an AioIOException, got " + t);
        assertEquals(op, e.op(), e::getMessage);
        assertTrue(e.file().startsWith(file.toString()), () -> "file " + e.file() + " does not name " + file);
        assertTrue(e.getMessage().contains(file.toString()), e::getMessage);
        assertEquals(position, e.position(), e::getMessage);
        assertEquals(length, e.length(), e::getMessage);
        assertEquals(errno, e.errno(), () -> "expected " + Errno.name(errno) + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(Errno.name(errno)), e::getMessage);
        return e;
    }

    /** The same context still serves a file on the root filesystem: write, fdatasync, read back. */
    private void assertContextServesRootFs(AioContext ctx) throws Exception {
        Path p = dir.resolve("after-" + System.nanoTime());
        byte[] data = TestFiles.random(8192, 99);
        try (AioFile f = ctx.open(p, READ, WRITE, CREATE)) {
            assertEquals(8192, await(f.writeAsync(0, ByteBuffer.allocateDirect(8192).put(data).flip())));
            await(f.fdatasync());
            ByteBuffer back = ByteBuffer.allocateDirect(8192);
            assertEquals(8192, await(f.readAsync(0, back)));
            assertArrayEquals(data, bytes(back.flip()));
        }
        try (AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT)) {
            ByteBuffer back = f.allocateAligned(8192);
            assertEquals(8192, await(f.readAsync(0, back)));
            assertArrayEquals(data, bytes(back.flip()));
        }
        Files.delete(p);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** What {@code /proc/self/fd/<fd>} links to, or null when the descriptor is not open. */
    private static String fdTarget(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether the kernel's AIO ring of {@code kernelCtx} (mapped at that address) is in this process's maps. */
    private static boolean ringMapped(long kernelCtx) throws IOException {
        String start = Long.toHexString(kernelCtx) + "-";
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.startsWith(start)) {
                return line.contains("[aio]");
            }
        }
        return false;
    }

    // ================================================================== helpers: loop devices, ext4, mounts

    /** Skips unless loop devices, mkfs.ext4 and mount can be used for real. */
    private static void assumeLoopDevices() {
        Assumptions.assumeTrue(effectiveUid() == 0,
                "needs root: the fault is produced for real with losetup, mkfs.ext4 and mount");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control: no loop devices here");
        for (String cmd : List.of("losetup", "mkfs.ext4", "mount", "umount")) {
            Assumptions.assumeTrue(command(cmd) != null, cmd + " is not installed");
        }
    }

    private static void assumeExt4() throws IOException {
        Assumptions.assumeTrue(Files.readString(Path.of("/proc/filesystems")).contains("\text4"),
                "the kernel has no ext4 (/proc/filesystems)");
    }

    private static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // unknown: treat as not root
        }
        return -1;
    }

    /** A 16 MiB ext4 image on a loop device, mounted on a directory under {@link #dir}; undone after the test. */
    private Path mountExt4(String name, String... mountOptions) throws Exception {
        assumeLoopDevices();
        assumeExt4();
        Path img = dir.resolve(name + ".img");
        cleanups.push(() -> Files.deleteIfExists(img));
        run("truncate", "-s", "16M", img.toString());
        String dev = attachLoop(img);
        run("mkfs.ext4", "-q", "-F", dev);
        Path mnt = Files.createDirectory(dir.resolve(name + "-mnt"));
        List<String> mount = new ArrayList<>(List.of("mount", "-t", "ext4"));
        if (mountOptions.length > 0) {
            mount.add("-o");
            mount.add(String.join(",", mountOptions));
        }
        mount.add(dev);
        mount.add(mnt.toString());
        cleanups.push(() -> umount(mnt));
        run(mount.toArray(String[]::new));
        return mnt;
    }

    /** {@code losetup -f --show img}; detached after the test. */
    private String attachLoop(Path img) throws Exception {
        String dev = run("losetup", "-f", "--show", img.toString()).trim();
        if (!dev.startsWith("/dev/loop")) {
            throw new IOException("losetup printed " + dev);
        }
        cleanups.push(() -> detachLoop(dev));
        return dev;
    }

    private static void detachLoop(String dev) throws Exception {
        Result r = null;
        for (int i = 0; i < 50; i++) {
            r = exec("losetup", "-d", dev);
            if (r.rc == 0) {
                return;
            }
            Thread.sleep(100); // busy for a moment after umount: retry
        }
        throw new IOException("losetup -d " + dev + " failed (" + r.rc + "): " + r.out);
    }

    private static void umount(Path mnt) throws Exception {
        Result r = null;
        for (int i = 0; i < 50 && isMounted(mnt); i++) {
            r = exec("umount", mnt.toString());
            if (r.rc == 0) {
                return;
            }
            Thread.sleep(100); // busy (a descriptor closing on another thread): retry
        }
        if (isMounted(mnt)) {
            Result lazy = exec("umount", "-l", mnt.toString());
            throw new IOException("umount " + mnt + " failed (" + (r == null ? "?" : r.out) + "); lazy umount: "
                    + lazy.rc + " " + lazy.out);
        }
    }

    private static boolean isMounted(Path mnt) throws IOException {
        String target = mnt.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].equals(target)) {
                return true;
            }
        }
        return false;
    }

    /** The loop device mounted on {@code mnt}. */
    private static Path mountedLoop(Path mnt) throws IOException {
        String target = mnt.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].equals(target)) {
                return Path.of(f[0]);
            }
        }
        throw new IOException(mnt + " is not mounted");
    }

    /** Waits (up to 10 s) until the filesystem on {@code mnt} is read-only after an error; its mount options. */
    private static String awaitReadOnly(Path mnt) throws Exception {
        String target = mnt.toAbsolutePath().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                // "ro", or on newer kernels (6.15+) "emergency_ro": ext4 refuses writes without flipping SB_RDONLY
                List<String> options = Arrays.asList(f.length > 3 ? f[3].split(",") : new String[0]);
                if (f[1].equals(target) && (options.contains("ro") || options.contains("emergency_ro"))) {
                    return f[3];
                }
            }
            Thread.sleep(20); // the kernel remounts from the error path: a state to reach, not a completion
        }
        return fail(mnt + " was not remounted read-only within 10 s after the ext4 error");
    }

    /** {@code ioctl(EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH)} on the mount point. */
    private static void shutDown(Path mnt) throws Exception {
        int fd = LibC.open(mnt, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flag = arena.allocate(ValueLayout.JAVA_INT);
            flag.set(ValueLayout.JAVA_INT, 0, EXT4_GOING_FLAGS_NOLOGFLUSH);
            ErrnoException.check("ioctl(EXT4_IOC_SHUTDOWN)", LibC.ioctl(fd, EXT4_IOC_SHUTDOWN, flag));
        } finally {
            LibC.close(fd);
        }
    }

    private record Result(int rc, String out) {
    }

    /** Runs a command, stdin from /dev/null, stdout and stderr together; 60 s at most. */
    private static Result exec(String... cmd) throws Exception {
        List<String> argv = new ArrayList<>(Arrays.asList(cmd));
        String exe = command(argv.get(0));
        if (exe != null) {
            argv.set(0, exe);
        }
        Process pr = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = pr.getInputStream().readAllBytes();
        if (!pr.waitFor(60, TimeUnit.SECONDS)) {
            pr.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish within 60 s");
        }
        return new Result(pr.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed; its output. */
    private static String run(String... cmd) throws Exception {
        Result r = exec(cmd);
        if (r.rc != 0) {
            throw new IOException(String.join(" ", cmd) + " failed with exit code " + r.rc + ": " + r.out.trim());
        }
        return r.out;
    }

    /** The absolute path of an executable, from PATH and the sbin directories; null when absent. */
    private static String command(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(Arrays.asList(path.split(":")));
        }
        dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}

package io.linuxaio;

import io.linuxaio.testing.Pipe;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.AioLimits;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.PageCache;
import io.linuxaio.testing.Futures;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The owner's path of a context: cached reads are not done inline here ({@code InlineReadsTest} covers that path). */
@ExtendWith(LeakCheck.class)
class AioContextTest {

    @TempDir
    Path dir;

    @Test
    void tinyQueueDepthTakesTenThousandRequestsInOrder() throws Exception {
        byte[] data = TestFiles.random(1 << 20, 21);
        Path p = TestFiles.file(dir, "bp", data);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(4).build(); AioFile f = ctx.open(p)) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            List<ByteBuffer> bufs = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(64);
                bufs.add(b);
                fs.add(f.readAsync((i * 97L) % (data.length - 64), b));
            }
            for (int i = 0; i < fs.size(); i++) {
                assertEquals(64, await(fs.get(i)));
                assertEquals(data[(int) ((i * 97L) % (data.length - 64))], bufs.get(i).get(0));
            }
            AioMetrics m = ctx.metrics();
            assertTrue(m.ringFullWaits() > 0, m.toString());
            assertEquals(10_000, m.completed(), m.toString());
            assertEquals(0, m.queued());
            assertEquals(0, m.inFlight());
        }
    }

    @Test
    void pastTheBoundedQueueRequestsAreRefusedWithAClearError() throws Exception {
        Path p = TestFiles.file(dir, "q", new byte[4096]);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(2).maxQueued(3).build(); AioFile f = ctx.open(p)) {
            // submitted on the owner thread in one task, so nothing completes in between
            List<CompletableFuture<Integer>> fs = Futures.call(ctx.ownerExecutor(), () -> {
                List<CompletableFuture<Integer>> started = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    started.add(f.readAsync(0, ByteBuffer.allocateDirect(16)));
                }
                return started;
            });
            for (int i = 0; i < 5; i++) {
                assertEquals(16, await(fs.get(i)));
            }
            for (int i = 5; i < 7; i++) {
                Throwable t = failure(fs.get(i));
                assertInstanceOf(RejectedExecutionException.class, t);
                assertTrue(t.getMessage().contains("maxQueued=3"), t.getMessage());
            }
        }
    }

    @Test
    void requestsFromManyThreadsAllComplete() throws Exception {
        byte[] data = TestFiles.random(1 << 20, 22);
        Path p = TestFiles.file(dir, "mt", data);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(32).build(); AioFile f = ctx.open(p)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    java.util.Random rnd = new java.util.Random(seed);
                    int ok = 0;
                    List<CompletableFuture<Integer>> fs = new ArrayList<>();
                    List<Integer> positions = new ArrayList<>();
                    List<ByteBuffer> bufs = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        int pos = rnd.nextInt(data.length - 512);
                        ByteBuffer b = ByteBuffer.allocateDirect(512);
                        positions.add(pos);
                        bufs.add(b);
                        fs.add(f.readAsync(pos, b));
                    }
                    for (int i = 0; i < fs.size(); i++) {
                        assertEquals(512, await(fs.get(i)));
                        assertEquals(data[positions.get(i) + 511], bufs.get(i).get(511));
                        ok++;
                    }
                    return ok;
                }));
            }
            for (Future<Integer> r : results) {
                assertEquals(500, await(r, "a thread's 500 reads", Duration.ofSeconds(60)));
            }
            assertEquals(4000, ctx.metrics().completed());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void futuresCompleteOnTheOwnerThread() throws Exception {
        Path p = TestFiles.file(dir, "owner", new byte[100]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p)) {
            AtomicReference<Thread> owner = new AtomicReference<>();
            ctx.ownerExecutor().execute(() -> owner.set(Thread.currentThread()));
            // a request made off the owner thread completes on the owner thread
            AtomicReference<Thread> completedOn = new AtomicReference<>();
            CompletableFuture<Integer> read = f.readAsync(0, ByteBuffer.allocateDirect(10));
            CompletableFuture<Thread> where = new CompletableFuture<>();
            // attached on the owner before the task that can complete it: it runs where the completion happens
            ctx.ownerExecutor().execute(() -> read.whenComplete((r, t) -> where.complete(Thread.currentThread())));
            completedOn.set(await(where));
            assertEquals(10, await(read));
            assertSame(owner.get(), completedOn.get());
            assertTrue(owner.get().getName().contains("completion"), owner.get().getName());
        }
    }

    @Test
    void closeWithRequestsInFlightLetsThemFinishAndFreesEverything() throws Exception {
        byte[] data = TestFiles.random(4 << 20, 23);
        Path p = TestFiles.file(dir, "cl", data);
        long aioNr = AioLimits.aioNr();
        AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(8).build();
        assertNotEquals(aioNr, AioLimits.aioNr());
        AioFile f = ctx.open(p);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fs.add(f.readAsync(i * 16384L, ByteBuffer.allocateDirect(16384)));
        }
        ctx.close();
        ctx.close(); // idempotent
        assertTrue(ctx.closeFuture().isDone());
        assertFalse(ctx.isOpen());
        for (CompletableFuture<Integer> fut : fs) {
            assertTrue(fut.isDone(), "a future was left pending by close");
            assertEquals(16384, fut.join());
        }
        assertInstanceOf(AioClosedException.class, failure(f.readAsync(0, ByteBuffer.allocateDirect(1))));
        f.close();
        await(f.closeFuture());
        assertEquals(aioNr, AioLimits.aioNr());
        assertThrows(AioClosedException.class, () -> ctx.open(p));
        assertInstanceOf(AioClosedException.class, failure(ctx.poll(0, AioAbi.POLLIN)));
    }

    @Test
    void pollOnPipeSocketAndEventfdAndCancellation() throws Exception {
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        int[] sockets = LibC.socketPair();
        int efd = EventFd.create(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        try (AioContext ctx = AioContext.open()) {
            CompletableFuture<Integer> onPipe = ctx.poll(pipe[0], AioAbi.POLLIN);
            CompletableFuture<Integer> onEventFd = ctx.poll(efd, AioAbi.POLLIN);
            assertTrue((await(ctx.poll(sockets[0], AioAbi.POLLOUT)) & AioAbi.POLLOUT) != 0);
            assertFalse(onPipe.isDone());
            assertFalse(onEventFd.isDone());
            Pipe.writeFully(pipe[1], new byte[] {1});
            assertTrue((await(onPipe) & AioAbi.POLLIN) != 0);
            EventFd.write(efd, 5);
            assertTrue((await(onEventFd) & AioAbi.POLLIN) != 0);

            // cancellation goes to the kernel: the slot comes back, the context stays usable
            CompletableFuture<Integer> pending = ctx.poll(sockets[0], AioAbi.POLLIN);
            assertTrue(pending.cancel(true));
            assertThrows(CancellationException.class, pending::join);
            CompletableFuture<Integer> again = ctx.poll(sockets[0], AioAbi.POLLIN);
            Pipe.writeFully(sockets[1], new byte[] {7});
            assertTrue((await(again) & AioAbi.POLLIN) != 0);

            // close cancels polls still pending: they fail, never stay pending
            CompletableFuture<Integer> left = ctx.poll(sockets[1], AioAbi.POLLIN);
            ctx.close();
            assertInstanceOf(AioAbandonedException.class, failure(left));
            assertEquals(0, ctx.metrics().inFlight());
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
            LibC.close(sockets[0]);
            LibC.close(sockets[1]);
            LibC.close(efd);
        }
    }

    @Test
    void coldBufferedReadGoesThroughTheFallbackWithoutBlockingTheOwner() throws Exception {
        byte[] data = TestFiles.random(16 << 20, 24);
        Path p = TestFiles.file(dir, "cold", data);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p)) {
            await(f.fdatasync());
            assertEquals(0, LibC.posix_fadvise(f.fd(), 0, 0, LibC.POSIX_FADV_DONTNEED));
            ByteBuffer b = ByteBuffer.allocateDirect(data.length);
            long[] submitNanos = new long[1];
            CompletableFuture<CompletableFuture<Integer>> started = new CompletableFuture<>();
            ctx.ownerExecutor().execute(() -> {
                long t0 = System.nanoTime();
                CompletableFuture<Integer> read = f.readAsync(0, b);
                ctx.engine().flush(); // the io_submit happens here, on the owner thread
                submitNanos[0] = System.nanoTime() - t0;
                started.complete(read);
            });
            long t0 = System.nanoTime();
            CompletableFuture<Integer> read = await(started);
            assertEquals(data.length, await(read));
            long totalNanos = System.nanoTime() - t0;
            for (int i = 0; i < data.length; i += 4093) {
                if (b.get(i) != data[i]) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
            AioMetrics m = ctx.metrics();
            assertEquals(1, m.fallbacks(), m.toString());
            // the owner spent a fraction of the read's time in io_submit: the disk read ran on the pool
            assertTrue(submitNanos[0] * 4 < totalNanos, "io_submit took " + submitNanos[0] + " ns of " + totalNanos);
        }
    }

    @Test
    void bufferedWritesOnExt4LearnThatNowaitIsRefused() throws Exception {
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(dir.resolve("bw"), READ, WRITE, CREATE)) {
            for (int i = 0; i < 10; i++) {
                assertEquals(4096, await(f.writeAsync(i * 4096L, ByteBuffer.allocateDirect(4096))));
            }
            AioMetrics m = ctx.metrics();
            assertEquals(10, m.fallbacks(), m.toString());
            assertEquals(40960, f.size());
            assertEquals(40960, m.bytesWritten());
        }
    }

    @Test
    void directWritesThatExtendTheFileGoThroughTheFallbackAndOthersDoNot() throws Exception {
        try (AioContext ctx = AioContext.open();
             AioFile f = ctx.open(dir.resolve("dw"), READ, WRITE, CREATE, AioOpenOption.DIRECT)) {
            int align = f.alignment().offsetAlignment();
            ByteBuffer b = f.allocateAligned(align * 4);
            assertEquals(align * 4, await(f.writeAsync(0, b)));
            long afterExtend = ctx.metrics().fallbacks();
            assertEquals(1, afterExtend, "an extending O_DIRECT write on ext4 answers EAGAIN to RWF_NOWAIT");
            await(f.fsync());
            b.clear();
            assertEquals(align * 4, await(f.writeAsync(0, b)));
            assertEquals(afterExtend, ctx.metrics().fallbacks(), "an overwrite of allocated blocks stays in the kernel");
        }
    }

    @Test
    void misalignedDirectRequestsAreRefusedBeforeSubmission() throws Exception {
        Path p = TestFiles.file(dir, "al", new byte[1 << 16]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE, AioOpenOption.DIRECT)) {
            DirectIoAlignment a = f.alignment();
            Assumptions.assumeTrue(a.offsetAlignment() > 1, "the filesystem imposes no O_DIRECT alignment");
            assertEquals("statx(STATX_DIOALIGN)", a.source());
            ByteBuffer aligned = f.allocateAligned(a.offsetAlignment() * 2);
            IllegalArgumentException pos = assertThrows(IllegalArgumentException.class, () -> f.readAsync(1, aligned));
            assertTrue(pos.getMessage().contains("position 1"), pos.getMessage());
            assertTrue(pos.getMessage().contains(String.valueOf(a.offsetAlignment())), pos.getMessage());
            IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                    () -> f.readAsync(0, aligned.duplicate().limit(a.offsetAlignment() + 1)));
            assertTrue(len.getMessage().contains("length"), len.getMessage());
            if (a.memoryAlignment() > 1) {
                ByteBuffer shifted = aligned.duplicate().position(1).limit(1 + a.offsetAlignment()).slice();
                IllegalArgumentException addr = assertThrows(IllegalArgumentException.class, () -> f.readAsync(0, shifted));
                assertTrue(addr.getMessage().contains("buffer address"), addr.getMessage());
            }
            // a heap buffer is bounced through aligned native memory
            ByteBuffer heap = ByteBuffer.allocate(a.offsetAlignment());
            assertEquals(a.offsetAlignment(), await(f.readAsync(0, heap)));
        }
    }

    @Test
    void exhaustedAioMaxNrNamesTheSysctl() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(AioLimits.AIO_MAX_NR), "changing fs.aio-max-nr needs root");
        long saved = AioLimits.aioMaxNr(); // Files.readString sees only the first byte of a /proc file
        Assumptions.assumeTrue(saved > 0, "cannot read fs.aio-max-nr");
        try {
            Files.writeString(AioLimits.AIO_MAX_NR, String.valueOf(AioLimits.aioNr() + 16));
            IOException e = assertThrows(IOException.class, () -> AioContext.builder().inlineCachedReads(false).queueDepth(4096).build());
            assertTrue(e.getMessage().contains("aio-max-nr"), e.getMessage());
            assertTrue(e.getMessage().contains("4096"), e.getMessage());
        } finally {
            Files.writeString(AioLimits.AIO_MAX_NR, String.valueOf(saved));
        }
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(4096).build()) {
            assertEquals(4096, ctx.queueDepth());
        }
    }

    @Test
    void aCompletionWithAStaleGenerationIsCountedAndNeverDelivered() throws Exception {
        byte[] data = TestFiles.random(64, 25);
        Path p = TestFiles.file(dir, "gen", data);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(2).build(); AioFile f = ctx.open(p);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            // a foreign iocb in the context's ring that claims slot 0 with a generation never issued
            java.lang.foreign.MemorySegment iocb = arena.allocate(io.linuxaio.abi.Iocb.LAYOUT);
            java.lang.foreign.MemorySegment buf = arena.allocate(8);
            io.linuxaio.abi.Iocb.prepPread(iocb, f.fd(), buf, 8, 0);
            io.linuxaio.abi.Iocb.aioData(iocb, (0x7fffffffL << 32));
            io.linuxaio.abi.Iocb.setEventFd(iocb, ctx.engine().eventFd());
            java.lang.foreign.MemorySegment pp = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS);
            pp.set(java.lang.foreign.ValueLayout.ADDRESS, 0, iocb);
            assertEquals(1, io.linuxaio.abi.LinuxAio.ioSubmit(ctx.engine().kernelContext(), 1, pp));
            // meanwhile real requests use slot 0 and 1 and get their own bytes
            for (int i = 0; i < 1000 && ctx.metrics().staleCompletions() == 0; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(8);
                assertEquals(8, await(f.readAsync(i % 8, b)));
                assertEquals(data[i % 8], b.get(0));
            }
            assertEquals(1, ctx.metrics().staleCompletions());
            assertEquals(0, ctx.metrics().failed());
        }
    }

    @Test
    void requestsWaitingForASlotAreNotStarvedByCallbacksThatChainNewOnes() throws Exception {
        Path p = TestFiles.file(dir, "fair", TestFiles.random(1 << 16, 51));
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).queueDepth(2).build(); AioFile f = ctx.open(p)) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<CompletableFuture<Integer>> queued = Futures.call(ctx.ownerExecutor(), () -> {
                // two chains hold both slots and re-issue from their completions, on the owner thread
                for (int c = 0; c < 2; c++) {
                    chain(f, stop);
                }
                // these two must wait for a slot, and must get one although the chains never stop asking
                return List.of(f.readAsync(0, ByteBuffer.allocateDirect(16)), f.readAsync(16, ByteBuffer.allocateDirect(16)));
            });
            try {
                for (CompletableFuture<Integer> q : queued) {
                    assertEquals(16, await(q));
                }
            } finally {
                stop.set(true);
            }
        }
    }

    private static void chain(AioFile f, java.util.concurrent.atomic.AtomicBoolean stop) {
        f.readAsync(0, ByteBuffer.allocateDirect(512)).whenComplete((n, t) -> {
            if (!stop.get() && t == null) {
                chain(f, stop);
            }
        });
    }

    /** Drops the file's clean pages; asks again while some stay (a page on a CPU's LRU batch is kept once). */
    private static void dropFromTheCache(AioFile f) throws Exception {
        PageCache.evict(f.fd(), 0, f.toString());
    }

    @Test
    void aBufferedReadThatNowaitCutsShortIsCompletedOnThePool() throws Exception {
        byte[] data = TestFiles.random(1 << 20, 52);
        Path p = TestFiles.file(dir, "partial", data);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).build(); AioFile f = ctx.open(p)) {
            await(f.fdatasync());
            assertEquals(0, LibC.posix_fadvise(f.fd(), 0, 0, LibC.POSIX_FADV_RANDOM)); // no readahead
            // the kernel starts reading the missing pages as it refuses them, and this VM's disk can answer before
            // the read looks again: then nothing is cut short, so try a few times; every answer must be whole
            for (int attempt = 0; attempt < 10 && ctx.metrics().fallbacks() == 0; attempt++) {
                dropFromTheCache(f);
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    assertEquals(4096, LibC.pread(f.fd(), arena.allocate(4096), 4096, 0)); // only the first page cached
                }
                ByteBuffer b = ByteBuffer.allocateDirect(65536);
                assertEquals(65536, await(f.readAsync(0, b)), "a read inside the file returns the whole range");
                byte[] got = new byte[65536];
                b.flip().get(got);
                assertArrayEqualsRange(data, got);
            }
            assertTrue(ctx.metrics().fallbacks() >= 1, "no read was cut short in 10 attempts: " + ctx.metrics());
            // vectored: the remainder crosses buffers
            dropFromTheCache(f);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                assertEquals(4096, LibC.pread(f.fd(), arena.allocate(4096), 4096, 0));
            }
            ByteBuffer[] v = {ByteBuffer.allocate(1000), ByteBuffer.allocateDirect(5000), ByteBuffer.allocate(30000)};
            assertEquals(36000, await(f.readAsync(0, v)));
            assertEquals(data[999], v[0].get(999));
            assertEquals(data[1000 + 4999], v[1].get(4999));
            assertEquals(data[6000 + 29999], v[2].get(29999));
        }
    }

    private static void assertArrayEqualsRange(byte[] data, byte[] got) {
        for (int i = 0; i < got.length; i++) {
            if (data[i] != got[i]) {
                throw new AssertionError("byte " + i + " differs");
            }
        }
    }
}

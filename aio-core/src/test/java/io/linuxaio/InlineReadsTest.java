package io.linuxaio;

import io.linuxaio.abi.CacheStat;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.PageCache;
import io.linuxaio.testing.ParkedPool;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Buffered reads from the page cache done on the calling thread (one preadv2 with RWF_NOWAIT): complete
 * when readAsync returns, exact, and never at the cost of a promise: the whole range of a partly cached
 * read, the order after an earlier overlapping write, the switch that keeps every completion on the owner.
 */
@ExtendWith(LeakCheck.class)
class InlineReadsTest {

    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    /** Drops the file's pages from {@code offset} on out of the page cache (written back first: dirty pages stay). */
    private static void evict(AioFile f, long offset) throws Exception {
        await(f.fdatasync());
        PageCache.evict(f.fd(), offset, f.toString());
    }

    private Path cachedFile(String name, long seed) throws Exception {
        Path p = TestFiles.file(dir, name, TestFiles.random(SIZE, seed));
        Files.readAllBytes(p);
        return p;
    }

    @Test
    void aCachedReadIsDoneOnTheCallingThreadAndCompleteWhenItReturns() throws Exception {
        Path p = cachedFile("c", 1);
        byte[] expected = TestFiles.random(SIZE, 1);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            ByteBuffer dst = ByteBuffer.allocateDirect(65536);
            CompletableFuture<Integer> read = f.readAsync(4096, dst);
            assertTrue(read.isDone(), "a cached read was not done at its call");
            assertEquals(65536, read.join());
            assertEquals(65536, dst.position());
            byte[] got = new byte[65536];
            dst.flip().get(got);
            assertArrayEquals(Arrays.copyOfRange(expected, 4096, 4096 + 65536), got);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(100);
                assertEquals(100, f.readAsync(SIZE - 100, seg).join());
                assertArrayEquals(Arrays.copyOfRange(expected, SIZE - 100, SIZE), seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            assertEquals(0, f.readAsync(SIZE, ByteBuffer.allocateDirect(10)).join(), "at the end of the file");
            assertEquals(0, f.read(SIZE + 5, ByteBuffer.allocateDirect(10)));
            AioMetrics m = ctx.metrics();
            assertEquals(4, m.inlineReads(), m.toString());
            assertEquals(0, m.submitted(), "a cached read went to the kernel's AIO: " + m);
            assertEquals(4, m.completed());
            assertEquals(65536 + 100, m.bytesRead());
        }
    }

    @Test
    void aReadPartlyInThePageCacheReturnsItsWholeRange() throws Exception {
        Path p = cachedFile("p", 2);
        byte[] expected = TestFiles.random(SIZE, 2);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            for (int round = 0; round < 6; round++) {
                // the second half leaves the cache: an asynchronous read is not tried inline (cachestat), a
                // blocking one is, and RWF_NOWAIT stops at the first page missing; the rest goes the usual way
                evict(f, SIZE / 2);
                ByteBuffer dst = ByteBuffer.allocateDirect(SIZE);
                long inlineBefore = ctx.metrics().inlineReads();
                int n = round % 2 == 0 ? await(f.readAsync(0, dst)) : f.read(0, dst);
                assertEquals(SIZE, n, "round " + round);
                if (round % 2 == 0) {
                    assertEquals(inlineBefore, ctx.metrics().inlineReads(), "a partly cached read was done inline");
                } // a blocking read may find the pages it started reading done already: no count to check
                assertEquals(SIZE, dst.position());
                byte[] got = new byte[SIZE];
                dst.flip().get(got);
                assertArrayEquals(expected, got, "round " + round);
            }
            AioMetrics m = ctx.metrics();
            assertEquals(12, m.completed(), "6 fdatasyncs and 6 reads: " + m);
            assertEquals(6L * SIZE, m.bytesRead(), m.toString());
        }
    }

    @Test
    void aColdReadGoesTheUsualWay() throws Exception {
        Path p = cachedFile("u", 3);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            evict(f, 0);
            ByteBuffer dst = ByteBuffer.allocateDirect(4096);
            assertEquals(4096, await(f.readAsync(8192, dst)));
            assertEquals(0, ctx.metrics().inlineReads(), ctx.metrics().toString());
            assertEquals(2, ctx.metrics().submitted(), "the fdatasync and the read"); 
        }
    }

    @Test
    void aColdAsynchronousReadStartsNoDiskReadOnTheCallingThread() throws Exception {
        Path p = cachedFile("r", 7);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            evict(f, 0);
            // the owner is held in a task: the read is handed over and waits behind it, so a page in the
            // cache now could only come from the caller's own preadv2 (the kernel reads ahead on a miss)
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ctx.ownerExecutor().execute(() -> {
                held.countDown();
                awaitQuietly(release);
            });
            assertTrue(held.await(10, TimeUnit.SECONDS));
            CompletableFuture<Integer> read;
            try {
                read = f.readAsync(SIZE / 2, ByteBuffer.allocateDirect(4096));
                assertFalse(read.isDone());
                try (Arena arena = Arena.ofConfined()) {
                    assertEquals(0, CacheStat.cachedPages(f.fd(), 0, 0, arena.allocate(CacheStat.SCRATCH_SIZE, 8)),
                            "a cold read started the disk on the calling thread");
                }
            } finally {
                release.countDown();
            }
            assertEquals(4096, await(read));
            assertEquals(0, ctx.metrics().inlineReads(), ctx.metrics().toString());
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aCachedReadThatReachesPastTheEndOfTheFileIsDoneInline() throws Exception {
        byte[] content = TestFiles.random(5000, 8);
        Path p = TestFiles.file(dir, "small", content);
        Files.readAllBytes(p);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            ByteBuffer dst = ByteBuffer.allocateDirect(65536);
            CompletableFuture<Integer> whole = f.readAsync(0, dst);
            assertTrue(whole.isDone(), "a cached small file read with a larger buffer went to the owner");
            assertEquals(5000, whole.join());
            CompletableFuture<Integer> tail = f.readAsync(4500, ByteBuffer.allocateDirect(4096));
            assertTrue(tail.isDone());
            assertEquals(500, tail.join());
            assertEquals(0, f.readAsync(5000, ByteBuffer.allocateDirect(4096)).join());
            byte[] got = new byte[5000];
            dst.flip().get(got);
            assertArrayEquals(content, got);
            assertEquals(3, ctx.metrics().inlineReads(), ctx.metrics().toString());
        }
    }

    @Test
    void onTheOwnerThreadAStreamIsReadInlineOnlyAtTheEndOfTheFileAndOtherReadsAlways() throws Exception {
        Path p = cachedFile("e", 10);
        byte[] expected = TestFiles.random(SIZE, 10);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            long[] at = {0, 4096, SIZE / 2, SIZE - 4096, SIZE - 100, SIZE - 8192, SIZE - 4096};
            // a stream's read (at 0, or where one ended) may meet a readahead mark: inline only at the end
            boolean[] inline = {false, false, true, true, true, true, true};
            ByteBuffer[] dst = new ByteBuffer[at.length];
            CompletableFuture<Boolean> anyDoneAtCall = new CompletableFuture<>();
            List<CompletableFuture<Integer>> reads = new ArrayList<>();
            long[] inlineAfter = new long[at.length];
            ctx.ownerExecutor().execute(() -> {
                boolean doneAtCall = false;
                for (int i = 0; i < at.length; i++) {
                    dst[i] = ByteBuffer.allocateDirect(4096);
                    CompletableFuture<Integer> r = f.readAsync(at[i], dst[i]);
                    doneAtCall |= r.isDone();
                    inlineAfter[i] = ctx.metrics().inlineReads();
                    reads.add(r);
                }
                anyDoneAtCall.complete(doneAtCall);
            });
            assertFalse(await(anyDoneAtCall), "a read on the owner completed at its call");
            for (int i = 0; i < at.length; i++) {
                int n = await(reads.get(i));
                assertEquals((int) Math.min(4096, SIZE - at[i]), n, "read at " + at[i]);
                byte[] got = new byte[n];
                dst[i].flip().get(got);
                assertArrayEquals(Arrays.copyOfRange(expected, (int) at[i], (int) at[i] + n), got, "read at " + at[i]);
                assertEquals(inline[i], inlineAfter[i] > (i == 0 ? 0 : inlineAfter[i - 1]),
                        "read at " + at[i] + (inline[i] ? " went the usual way" : " was done inline"));
            }
            assertEquals(5, ctx.metrics().inlineReads(), ctx.metrics().toString());
            // off the owner, the middle of the file is read inline, at the call
            assertTrue(f.readAsync(4096, ByteBuffer.allocateDirect(4096)).isDone());
        }
    }

    @Test
    void onTheOwnerTwentyStreamsOfOneFileAreToldFromRandomReadsAmongThem() throws Exception {
        Path p = cachedFile("s", 11);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            int streams = 20;
            int chunks = 4;
            CompletableFuture<List<CompletableFuture<Integer>>> made = new CompletableFuture<>();
            ctx.ownerExecutor().execute(() -> {
                List<CompletableFuture<Integer>> reads = new ArrayList<>();
                for (int c = 0; c < chunks; c++) {
                    for (int s = 0; s < streams; s++) {
                        // stream s reads 4 KiB chunks from 4 KiB + 16 KiB * s (mid-file, never at 0)
                        reads.add(f.readAsync(4096 + 16384L * s + 4096L * c, ByteBuffer.allocateDirect(4096)));
                        // a random 2 KiB read between, past the streams, at half a page: never where another ended
                        reads.add(f.readAsync(SIZE / 2 + 4096L * (c * streams + s) + 2048, ByteBuffer.allocateDirect(2048)));
                    }
                }
                made.complete(reads);
            });
            List<CompletableFuture<Integer>> reads = await(made);
            for (int i = 0; i < reads.size(); i++) {
                assertEquals(i % 2 == 0 ? 4096 : 2048, await(reads.get(i)));
            }
            // every stream's first read looks random too (it starts nowhere another ended); its next ones do not
            assertEquals(chunks * streams + streams, ctx.metrics().inlineReads(), ctx.metrics().toString());
        }
    }

    @Test
    void inlineReadsAreOnByDefault() throws Exception {
        Path p = cachedFile("d", 9);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p)) {
            assertTrue(f.readAsync(0, ByteBuffer.allocateDirect(4096)).isDone(), "a cached read went to the owner by default");
            assertEquals(1, ctx.metrics().inlineReads());
        }
    }

    @Test
    void withTheSwitchOffEveryReadCompletesOnTheOwner() throws Exception {
        Path p = cachedFile("o", 4);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).build(); AioFile f = ctx.open(p)) {
            for (int i = 0; i < 20; i++) {
                AtomicReference<Boolean> onOwner = new AtomicReference<>();
                CompletableFuture<Integer> read = new CompletableFuture<>();
                ctx.ownerExecutor().execute(() -> f.readAsync(0, ByteBuffer.allocateDirect(4096)).whenComplete((n, t) -> {
                    onOwner.set(ctx.inOwnerThread());
                    read.complete(n);
                }));
                assertEquals(4096, await(read));
                assertTrue(onOwner.get());
                CompletableFuture<Integer> offOwner = f.readAsync(0, ByteBuffer.allocateDirect(4096));
                assertEquals(4096, await(offOwner));
            }
            assertEquals(0, ctx.metrics().inlineReads());
            assertEquals(40, ctx.metrics().submitted());
        }
    }

    @Test
    void aReadNeverPassesAWriteOfTheSameFileMadeBeforeIt() throws Exception {
        Path p = cachedFile("w", 5);
        ParkedPool pool = ParkedPool.park();
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p, READ, WRITE)) {
            try {
                byte[] x = new byte[4096];
                Arrays.fill(x, (byte) 'x');
                CompletableFuture<Integer> write = f.writeAsync(0, ByteBuffer.wrap(x)); // to the parked pool (ext4)
                ByteBuffer dst = ByteBuffer.allocateDirect(4096);
                CompletableFuture<Integer> read = f.readAsync(0, dst);
                assertFalse(read.isDone(), "a read passed an earlier write of its file");
                pool.release();
                assertEquals(4096, await(write));
                assertEquals(4096, await(read));
                byte[] got = new byte[4096];
                dst.flip().get(got);
                assertArrayEquals(x, got);
                // the write is done: reads go inline again
                assertTrue(f.readAsync(0, ByteBuffer.allocateDirect(4096)).isDone());
            } finally {
                pool.release(); // before close(), which waits for the write
            }
        }
    }

    @Test
    void aVirtualThreadReadsCachedDataWithoutTheOwnerWhateverTheSetting() throws Exception {
        Path p = cachedFile("v", 6);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(false).build(); AioFile f = ctx.open(p)) { // read() waits anyway
            CompletableFuture<Integer> total = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    int sum = 0;
                    ByteBuffer dst = ByteBuffer.allocateDirect(4096);
                    for (int i = 0; i < 256; i++) {
                        sum += f.read((long) i * 4096, dst.clear());
                    }
                    total.complete(sum);
                } catch (Throwable t) {
                    total.completeExceptionally(t);
                }
            });
            assertEquals(SIZE, await(total));
            assertEquals(256, ctx.metrics().inlineReads());
            assertFalse(f.readAsync(0, ByteBuffer.allocateDirect(4096)).isDone() && ctx.metrics().inlineReads() > 256,
                    "readAsync read inline with the setting off");
        }
    }

    @Test
    void offTheOwnerACallbackThatReadsAgainNestsOnlyBoundedlyInlineReads() throws Exception {
        Path p = TestFiles.file(dir, "chain", new byte[64 << 20]);
        Files.readAllBytes(p);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            ByteBuffer dst = ByteBuffer.allocateDirect(4096);
            Thread[] starter = new Thread[1];
            // the pattern "read the next block when this one is in": a cached read completes at its call, and the
            // callback, attached after, runs at once on the caller's stack
            var chain = new Object() {
                long total;
                int maxDepthOnStarter;
                long sentTheUsualWay;

                void next(long position) {
                    // done inline or not, by the count (isDone() could also see the owner's completion of a read
                    // sent the usual way)
                    long inlineBefore = ctx.metrics().inlineReads();
                    CompletableFuture<Integer> read = f.readAsync(position, dst.clear());
                    boolean inline = ctx.metrics().inlineReads() > inlineBefore;
                    read.whenComplete((n, t) -> {
                        try {
                            if (t != null) {
                                done.completeExceptionally(t);
                                return;
                            }
                            if (n == 0) {
                                done.complete(total);
                                return;
                            }
                            total += n;
                            if (Thread.currentThread() == starter[0]) {
                                maxDepthOnStarter = Math.max(maxDepthOnStarter, new Throwable().getStackTrace().length);
                            }
                            if (!inline) {
                                sentTheUsualWay++;
                                if (Thread.currentThread() == starter[0]) {
                                    // the owner completed it before the callback was attached: CompletableFuture runs
                                    // the callback here then, whoever made the future; not the inline reads' doing
                                    ctx.ownerExecutor().execute(() -> next(position + n));
                                    return;
                                }
                            }
                            next(position + n);
                        } catch (Throwable e) { // a dependent's failure is swallowed: make it the test's
                            done.completeExceptionally(new AssertionError("the chain broke at " + position, e));
                        }
                    });
                }
            };
            starter[0] = new Thread(() -> chain.next(0), "chain-starter");
            starter[0].start();
            starter[0].join();
            long got;
            try {
                got = done.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the chain stopped at " + chain.total + " bytes: " + ctx.metrics(), e);
            }
            assertEquals(64L << 20, got, "the chain broke (a StackOverflowError ends it silently)");
            // the inline reads nest until a stack check (one in 32 reads) finds the stack deep (512 frames, hidden ones
            // counted), then one goes the usual way
            assertTrue(chain.maxDepthOnStarter < 1000, "inline reads nested " + chain.maxDepthOnStarter + " frames deep");
            AioMetrics m = ctx.metrics();
            assertTrue(m.inlineReads() > 0 && chain.sentTheUsualWay > 0, "nesting never went the usual way: " + m);
        }
    }
}

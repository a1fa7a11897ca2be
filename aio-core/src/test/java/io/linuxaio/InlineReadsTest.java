package io.linuxaio;

import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
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
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
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
        assertEquals(0, LibC.posix_fadvise(f.fd(), offset, 0, LibC.POSIX_FADV_DONTNEED));
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
            for (int round = 0; round < 5; round++) {
                // the second half leaves the cache: RWF_NOWAIT stops at its first page
                evict(f, SIZE / 2);
                ByteBuffer dst = ByteBuffer.allocateDirect(SIZE);
                assertEquals(SIZE, await(f.readAsync(0, dst)), "round " + round);
                assertEquals(SIZE, dst.position());
                byte[] got = new byte[SIZE];
                dst.flip().get(got);
                assertArrayEquals(expected, got, "round " + round);
            }
            AioMetrics m = ctx.metrics();
            assertEquals(10, m.completed(), "5 fdatasyncs and 5 reads: " + m);
            assertEquals(0, m.inlineReads(), "a partly cached read counted as inline: " + m);
            assertEquals(5L * SIZE, m.bytesRead(), m.toString());
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
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p)) { // off for readAsync; read() waits anyway
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
    void aCallbackThatReadsAgainDoesNotRecurseWithoutBound() throws Exception {
        Path p = TestFiles.file(dir, "chain", new byte[64 << 20]);
        Files.readAllBytes(p);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            ByteBuffer dst = ByteBuffer.allocateDirect(4096);
            // the pattern "read the next block when this one is in": every cached read completes at its call
            var chain = new Object() {
                long total;

                void next(long position) {
                    f.readAsync(position, dst.clear()).whenComplete((n, t) -> {
                        if (t != null) {
                            done.completeExceptionally(t);
                        } else if (n == 0) {
                            done.complete(total);
                        } else {
                            total += n;
                            next(position + n);
                        }
                    });
                }
            };
            // started on a platform thread of its own: the chain must leave its stack before it overflows
            Thread starter = new Thread(() -> chain.next(0), "chain-starter");
            starter.start();
            starter.join();
            assertEquals(64L << 20, await(done), "the chain broke (a StackOverflowError ends it silently)");
            AioMetrics m = ctx.metrics();
            assertTrue(m.inlineReads() > 0 && m.submitted() > 0, "nesting never went the usual way: " + m);
        }
    }
}

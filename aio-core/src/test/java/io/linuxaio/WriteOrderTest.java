package io.linuxaio;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.ParkedPool;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ordering rule: requests on one file that overlap, at least one a write, take effect in the order
 * they were made, whichever path each takes (ext4 answers EOPNOTSUPP to RWF_NOWAIT buffered writes, so
 * they run on the blocking pool, whose threads race); requests that do not overlap stay parallel.
 */
@ExtendWith(LeakCheck.class)
class WriteOrderTest {

    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private static ByteBuffer filled(int size, char c) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) c);
        return ByteBuffer.wrap(b);
    }

    @Test
    void twoWritesAtTheSameOffsetInOneBatchAreAppliedInOrder() throws Exception {
        Path p = TestFiles.file(dir, "w", new byte[BLOCK]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            for (int round = 0; round < 100; round++) {
                CompletableFuture<CompletableFuture<?>[]> issued = new CompletableFuture<>();
                char first = (char) ('a' + round % 26);
                char second = (char) ('A' + round % 26);
                ctx.ownerExecutor().execute(() -> issued.complete(new CompletableFuture<?>[] {
                        f.writeAsync(0, filled(BLOCK, first)), f.writeAsync(0, filled(BLOCK, second))}));
                for (CompletableFuture<?> w : await(issued)) {
                    assertEquals(BLOCK, await(w));
                }
                assertArrayEquals(filled(BLOCK, second).array(), Files.readAllBytes(p), "round " + round
                        + ": the earlier write was applied last");
            }
        }
    }

    @Test
    void aReadAfterAnOverlappingWriteSeesItAndOthersDoNotWait() throws Exception {
        Path p = TestFiles.file(dir, "r", new byte[4 * BLOCK]);
        Files.readAllBytes(p); // cached: reads complete inside io_submit
        ParkedPool pool = ParkedPool.park();
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            try {
                checkOrderWhileThePoolIsParked(ctx, f, pool);
            } finally {
                pool.release(); // before close(), which waits for the write on the pool
            }
        }
    }

    private static void checkOrderWhileThePoolIsParked(AioContext ctx, AioFile f, ParkedPool pool) throws Exception {
        ByteBuffer overlapping = ByteBuffer.allocateDirect(BLOCK);
        ByteBuffer elsewhere = ByteBuffer.allocateDirect(BLOCK);
        CompletableFuture<CompletableFuture<Integer>[]> issued = new CompletableFuture<>();
        ctx.ownerExecutor().execute(() -> {
            @SuppressWarnings("unchecked")
            CompletableFuture<Integer>[] r = new CompletableFuture[] {
                    f.writeAsync(0, filled(BLOCK, 'x')),      // to the (parked) pool: EOPNOTSUPP on ext4
                    f.readAsync(0, overlapping),             // overlaps the write: waits for it
                    f.readAsync(2 * BLOCK, elsewhere)};      // overlaps nothing: goes at once
            issued.complete(r);
        });
        CompletableFuture<Integer>[] r = await(issued);
        assertEquals(BLOCK, await(r[2]), "a read that overlaps nothing waited");
        CompletableFuture<Boolean> overlappingDone = new CompletableFuture<>();
        ctx.ownerExecutor().execute(() -> overlappingDone.complete(r[1].isDone()));
        assertFalse(await(overlappingDone), "the overlapping read completed before the write it follows");
        assertFalse(r[0].isDone());
        pool.release();
        assertEquals(BLOCK, await(r[0]));
        assertEquals(BLOCK, await(r[1]));
        byte[] got = new byte[BLOCK];
        overlapping.flip().get(got);
        assertArrayEquals(filled(BLOCK, 'x').array(), got, "the read did not see the write made before it");
    }

    @Test
    void overlappingRequestsMadeOffTheOwnerKeepTheirOrderToo() throws Exception {
        Path p = TestFiles.file(dir, "o", new byte[2 * BLOCK]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            for (int round = 0; round < 50; round++) {
                CompletableFuture<Integer> a = f.writeAsync(BLOCK / 2, filled(BLOCK, 'a'));
                CompletableFuture<Integer> b = f.writeAsync(0, filled(BLOCK, 'b')); // overlaps a's first half
                await(a);
                await(b);
                byte[] all = Files.readAllBytes(p);
                assertEquals('b', all[BLOCK - 1], "round " + round);
                assertEquals('a', all[BLOCK], "round " + round);
            }
        }
    }

    @Test
    void aReadMadeAfterAWriteParkedBehindInlineReadsSeesTheWrite() throws Exception {
        // on the owner, a write made while reads done inline wait for delivery is parked until they are
        // delivered; a read of the same range made after it must not pass it
        Path p = TestFiles.file(dir, "parked", filledBytes(4 * BLOCK, 'o')); // written through the page cache
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            for (int round = 0; round < 20; round++) {
                char mark = (char) ('A' + round);
                CompletableFuture<CompletableFuture<Integer>[]> made = new CompletableFuture<>();
                ctx.ownerExecutor().execute(() -> {
                    @SuppressWarnings("unchecked")
                    CompletableFuture<Integer>[] fs = new CompletableFuture[3];
                    fs[0] = f.readAsync(3 * BLOCK, ByteBuffer.allocateDirect(BLOCK)); // random: done inline
                    fs[1] = f.writeAsync(BLOCK, filled(BLOCK, mark)); // parked behind it
                    ByteBuffer seen = ByteBuffer.allocateDirect(BLOCK);
                    fs[2] = f.readAsync(BLOCK, seen).thenApply(n -> {
                        seen.flip();
                        return n == BLOCK ? (int) seen.get(BLOCK - 1) : -n;
                    });
                    made.complete(fs);
                });
                CompletableFuture<Integer>[] fs = await(made);
                assertEquals(BLOCK, await(fs[0]));
                assertEquals(BLOCK, await(fs[1]));
                assertEquals((int) mark, await(fs[2]), "round " + round + ": the read passed the write made before it");
            }
        }
    }

    private static byte[] filledBytes(int n, char c) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }
}

package io.linuxaio;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random reads and writes, buffered and O_DIRECT, single and vectored, checked byte for
 * byte against an independent {@code FileChannel} view of the same file, with both reaping paths.
 */
@ExtendWith(LeakCheck.class)
class DataIntegrityTest {

    private static final int FILE_SIZE = 4 << 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "direct={0}, userSpaceReaping={1}")
    @CsvSource({"false, true", "false, false", "true, true", "true, false"})
    void randomReadsAndWritesMatchAnIndependentView(boolean direct, boolean userSpaceReaping) throws Exception {
        Path p = dir.resolve("data");
        byte[] model = TestFiles.random(FILE_SIZE, 7);
        try (FileChannel fc = FileChannel.open(p, READ, WRITE, CREATE)) {
            fc.write(ByteBuffer.wrap(model), 0);
            fc.force(true);
        }
        Random rnd = new Random(direct ? 11 : 13);
        try (AioContext ctx = AioContext.builder().queueDepth(32).userSpaceReaping(userSpaceReaping).build();
             AioFile f = direct ? ctx.open(p, READ, WRITE, AioOpenOption.DIRECT) : ctx.open(p, READ, WRITE);
             FileChannel view = FileChannel.open(p, READ)) {
            int unit = direct ? f.alignment().offsetAlignment() : 1;
            for (int round = 0; round < 20; round++) {
                // a round of writes to disjoint ranges, then a round of reads checked against the model
                List<CompletableFuture<Integer>> writes = new ArrayList<>();
                List<long[]> ranges = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    int len = unit * (1 + rnd.nextInt(direct ? 16 : 8192));
                    long pos = (long) unit * rnd.nextInt((FILE_SIZE - len) / unit);
                    if (overlaps(ranges, pos, len)) {
                        continue;
                    }
                    ranges.add(new long[] {pos, len});
                    byte[] bytes = TestFiles.random(len, rnd.nextLong());
                    System.arraycopy(bytes, 0, model, (int) pos, len);
                    if (rnd.nextBoolean()) {
                        writes.add(f.writeAsync(pos, fill(f, direct, bytes)));
                    } else {
                        int half = len / unit / 2 * unit;
                        ByteBuffer a = fill(f, direct, java.util.Arrays.copyOfRange(bytes, 0, half));
                        ByteBuffer b = fill(f, direct, java.util.Arrays.copyOfRange(bytes, half, len));
                        writes.add(f.writeAsync(pos, new ByteBuffer[] {a, b}));
                    }
                }
                for (int i = 0; i < writes.size(); i++) {
                    assertEquals((int) ranges.get(i)[1], await(writes.get(i)));
                }
                List<CompletableFuture<Integer>> reads = new ArrayList<>();
                List<ByteBuffer[]> bufs = new ArrayList<>();
                List<long[]> readRanges = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    int len = unit * (1 + rnd.nextInt(direct ? 16 : 8192));
                    long pos = (long) unit * rnd.nextInt((FILE_SIZE - len) / unit);
                    readRanges.add(new long[] {pos, len});
                    if (rnd.nextBoolean()) {
                        ByteBuffer b = alloc(f, direct, len);
                        bufs.add(new ByteBuffer[] {b});
                        reads.add(f.readAsync(pos, b));
                    } else {
                        int half = len / unit / 2 * unit;
                        ByteBuffer[] v = {alloc(f, direct, half), alloc(f, direct, len - half)};
                        bufs.add(v);
                        reads.add(f.readAsync(pos, v));
                    }
                }
                for (int i = 0; i < reads.size(); i++) {
                    long pos = readRanges.get(i)[0];
                    int len = (int) readRanges.get(i)[1];
                    assertEquals(len, await(reads.get(i)));
                    byte[] got = new byte[len];
                    int off = 0;
                    for (ByteBuffer b : bufs.get(i)) {
                        b.flip();
                        int n = b.remaining();
                        b.get(got, off, n);
                        off += n;
                    }
                    byte[] expected = java.util.Arrays.copyOfRange(model, (int) pos, (int) pos + len);
                    assertArrayEquals(expected, got, "read at " + pos + " length " + len);
                    ByteBuffer independent = ByteBuffer.allocate(len);
                    view.read(independent, pos);
                    assertArrayEquals(expected, independent.array(), "FileChannel view at " + pos);
                }
            }
            AioMetrics m = ctx.metrics();
            if (userSpaceReaping) {
                assertTrue(ctx.isUserSpaceReaping());
                assertEquals(0, m.ioGeteventsCalls(), m.toString());
                assertTrue(m.userReapedEvents() > 0, m.toString());
            } else {
                assertTrue(m.ioGeteventsCalls() > 0, m.toString());
                assertEquals(0, m.userReapedEvents(), m.toString());
            }
            assertEquals(0, m.failed(), m.toString());
            assertEquals(0, m.inFlight(), m.toString());
        }
        try (FileChannel fc = FileChannel.open(p, READ)) {
            ByteBuffer all = ByteBuffer.allocate(FILE_SIZE);
            while (all.hasRemaining() && fc.read(all, all.position()) > 0) {
                // read it all
            }
            assertArrayEquals(model, all.array());
        }
    }

    private static boolean overlaps(List<long[]> ranges, long pos, int len) {
        for (long[] r : ranges) {
            if (pos < r[0] + r[1] && r[0] < pos + len) {
                return true;
            }
        }
        return false;
    }

    private static ByteBuffer alloc(AioFile f, boolean direct, int len) {
        // O_DIRECT needs aligned direct buffers; buffered I/O takes heap and direct alike
        if (direct) {
            return f.allocateAligned(len);
        }
        return (len & 1) == 0 ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
    }

    private static ByteBuffer fill(AioFile f, boolean direct, byte[] bytes) {
        ByteBuffer b = alloc(f, direct, bytes.length);
        b.put(bytes).flip();
        return b;
    }
}

package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.IoPrio;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(LeakCheck.class)
class AioFileTest {

    static AioContext ctx;
    @TempDir
    Path dir;

    @BeforeAll
    static void open() throws Exception {
        ctx = AioContext.builder().name("aiofile-test").queueDepth(64).build();
    }

    @AfterAll
    static void close() {
        ctx.close();
        assertTrue(ctx.closeFuture().isDone());
    }

    @Test
    void readsIntoDirectAndHeapBuffersAndAdvancesPosition() throws Exception {
        byte[] data = TestFiles.random(64 * 1024, 1);
        Path p = TestFiles.file(dir, "r", data);
        try (AioFile f = ctx.open(p)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(8192);
            direct.position(100);
            assertEquals(8092, await(f.readAsync(1000, direct)));
            assertEquals(8192, direct.position());
            byte[] got = new byte[8092];
            direct.position(100);
            direct.get(got);
            assertArrayEquals(Arrays.copyOfRange(data, 1000, 9092), got);

            ByteBuffer heap = ByteBuffer.allocate(3000);
            assertEquals(3000, await(f.readAsync(5, heap)));
            assertEquals(3000, heap.position());
            assertArrayEquals(Arrays.copyOfRange(data, 5, 3005), heap.array());
        }
    }

    @Test
    void readAtEndOfFileReturnsZeroAndStraddlingReadIsShort() throws Exception {
        byte[] data = TestFiles.random(1000, 2);
        try (AioFile f = ctx.open(TestFiles.file(dir, "eof", data))) {
            assertEquals(0, await(f.readAsync(1000, ByteBuffer.allocateDirect(10))));
            assertEquals(0, await(f.readAsync(5000, ByteBuffer.allocateDirect(10))));
            ByteBuffer b = ByteBuffer.allocateDirect(100);
            assertEquals(50, await(f.readAsync(950, b)));
            assertEquals(50, b.position());
        }
    }

    @Test
    void writesThenReadsBackThroughSegmentsAndBuffers() throws Exception {
        Path p = dir.resolve("w");
        try (AioFile f = ctx.open(p, READ, WRITE, CREATE_NEW); Arena arena = Arena.ofConfined()) {
            byte[] data = TestFiles.random(10_000, 3);
            MemorySegment seg = arena.allocate(data.length);
            seg.copyFrom(MemorySegment.ofArray(data));
            assertEquals(data.length, await(f.writeAsync(0, seg)));
            ByteBuffer heap = ByteBuffer.wrap("tail".getBytes());
            assertEquals(4, await(f.writeAsync(data.length, heap)));
            assertFalse(heap.hasRemaining());
            assertEquals(data.length + 4, f.size());

            MemorySegment back = arena.allocate(data.length);
            assertEquals(data.length, await(f.readAsync(0, back)));
            assertArrayEquals(data, back.toArray(ValueLayout.JAVA_BYTE));
            MemorySegment heapSeg = MemorySegment.ofArray(new byte[4]);
            assertEquals(4, await(f.readAsync(data.length, heapSeg)));
            assertEquals("tail", new String(heapSeg.toArray(ValueLayout.JAVA_BYTE)));
            assertNull(await(f.fsync()));
            assertNull(await(f.fdatasync()));
        }
        byte[] onDisk = Files.readAllBytes(p);
        assertEquals("tail", new String(onDisk, onDisk.length - 4, 4));
    }

    @Test
    void vectoredReadAndWriteWithMixedBuffers() throws Exception {
        Path p = dir.resolve("v");
        try (AioFile f = ctx.open(p, READ, WRITE, CREATE)) {
            ByteBuffer a = ByteBuffer.wrap("abc".getBytes());
            ByteBuffer b = ByteBuffer.allocateDirect(4).put("defg".getBytes()).flip();
            ByteBuffer c = ByteBuffer.wrap("hijklm".getBytes());
            assertEquals(13, await(f.writeAsync(10, new ByteBuffer[] {a, b, c})));
            assertFalse(a.hasRemaining() || b.hasRemaining() || c.hasRemaining());

            ByteBuffer x = ByteBuffer.allocate(5);
            ByteBuffer y = ByteBuffer.allocateDirect(5);
            ByteBuffer z = ByteBuffer.allocate(10);
            assertEquals(13, await(f.readAsync(10, new ByteBuffer[] {x, y, z})));
            assertEquals(5, x.position());
            assertEquals(5, y.position());
            assertEquals(3, z.position());
            assertEquals("abcde", new String(x.array()));
            assertEquals("fghij", new String(new byte[] {y.get(0), y.get(1), y.get(2), y.get(3), y.get(4)}));
            assertEquals("klm", new String(z.array(), 0, 3));

            // a long vector gets native memory of its own
            ByteBuffer[] many = new ByteBuffer[40];
            for (int i = 0; i < many.length; i++) {
                many[i] = ByteBuffer.allocate(1);
            }
            assertEquals(23, await(f.readAsync(0, many)));
            assertEquals('a', many[10].get(0));
            assertEquals(0, many[30].position());
        }
    }

    @Test
    void perRequestFlagsAndPriorityReachTheKernel() throws Exception {
        byte[] data = TestFiles.random(4096, 4);
        try (AioFile f = ctx.open(TestFiles.file(dir, "flags", data), READ, WRITE)) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            assertEquals(4096, await(f.readAsync(0, b, 0, IoPrio.prioValue(IoPrio.IOPRIO_CLASS_BE, 4))));
            assertEquals(data[4095], b.get(4095));
            assertEquals(4, await(f.writeAsync(0, ByteBuffer.wrap("sync".getBytes()), AioAbi.RWF_DSYNC, 0)));
            assertEquals("sync", new String(Files.readAllBytes(f.path()), 0, 4));
        }
    }

    @Test
    void truncateAllocateAndSize() throws Exception {
        try (AioFile f = ctx.open(dir.resolve("t"), WRITE, CREATE)) {
            assertEquals(0, f.size());
            await(f.allocate(0, 1 << 20));
            assertEquals(1 << 20, f.size());
            await(f.truncate(1000));
            assertEquals(1000, f.size());
        }
    }

    @Test
    void openErrorsAreTheJdkOnes() throws Exception {
        assertThrows(NoSuchFileException.class, () -> ctx.open(dir.resolve("missing")));
        Path existing = TestFiles.file(dir, "exists", new byte[1]);
        assertThrows(FileAlreadyExistsException.class, () -> ctx.open(existing, WRITE, CREATE_NEW));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ctx.open(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void appendIsRefusedAsTheJdksAsynchronousChannelRefusesIt() throws Exception {
        Path p = TestFiles.file(dir, "append", new byte[10]);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> ctx.open(p, WRITE, StandardOpenOption.APPEND));
        assertTrue(e.getMessage().contains("APPEND"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> ctx.open(p, StandardOpenOption.APPEND));
        Path created = dir.resolve("never-created");
        assertThrows(UnsupportedOperationException.class,
                () -> ctx.open(created, WRITE, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        assertFalse(Files.exists(created), "a refused open creates nothing");
        assertEquals(10, Files.size(p));
        // the JDK's asynchronous channel, whose writes are positional too, refuses it the same way
        assertThrows(UnsupportedOperationException.class,
                () -> AsynchronousFileChannel.open(p, WRITE, StandardOpenOption.APPEND));
    }

    @Test
    void badInputIsRefusedAtTheCall() throws Exception {
        Path p = TestFiles.file(dir, "bad", new byte[4096]);
        try (AioFile ro = ctx.open(p); AioFile wo = ctx.open(p, WRITE)) {
            ByteBuffer b = ByteBuffer.allocateDirect(16);
            assertThrows(NullPointerException.class, () -> ro.readAsync(0, (ByteBuffer) null));
            assertThrows(NullPointerException.class, () -> ro.readAsync(0, (MemorySegment) null));
            assertThrows(NullPointerException.class, () -> ro.readAsync(0, (ByteBuffer[]) null));
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> ro.readAsync(-1, b));
            assertTrue(neg.getMessage().contains("-1"), neg.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(0, b.asReadOnlyBuffer()));
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(0, new ByteBuffer[0]));
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(0, new ByteBuffer[1025]));
            assertThrows(NullPointerException.class, () -> ro.readAsync(0, new ByteBuffer[] {b, null}));
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(Long.MAX_VALUE, b));
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(0, b, 1 << 20, 0));
            assertThrows(IllegalArgumentException.class, () -> ro.readAsync(0, b, 0, -5));
            assertThrows(NonWritableChannelException.class, () -> ro.writeAsync(0, b));
            assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
            assertThrows(NonReadableChannelException.class, () -> wo.readAsync(0, b));
            assertThrows(IllegalArgumentException.class, () -> wo.truncate(-1));
            assertThrows(IllegalArgumentException.class, () -> wo.allocate(0, 0));
            assertThrows(IllegalArgumentException.class, () -> ctx.poll(-1, AioAbi.POLLIN));
            // an empty request completes at once with 0
            assertEquals(0, await(ro.readAsync(0, ByteBuffer.allocate(0))));
        }
    }

    @Test
    void closedFileFailsNewRequestsAndClosesAfterInFlightOnes() throws Exception {
        byte[] data = TestFiles.random(1 << 20, 5);
        AioFile f = ctx.open(TestFiles.file(dir, "closing", data));
        CompletableFuture<?>[] inFlight = new CompletableFuture<?>[32];
        ByteBuffer[] bufs = new ByteBuffer[inFlight.length];
        for (int i = 0; i < inFlight.length; i++) {
            bufs[i] = ByteBuffer.allocateDirect(32 * 1024);
            inFlight[i] = f.readAsync(i * 32 * 1024L, bufs[i]);
        }
        f.close();
        f.close(); // idempotent
        assertFalse(f.isOpen());
        Throwable t = failure(f.readAsync(0, ByteBuffer.allocateDirect(1)));
        assertInstanceOf(AioClosedException.class, t);
        assertTrue(t.getMessage().contains(f.path().toString()), t.getMessage());
        assertInstanceOf(AioClosedException.class, failure(f.fsync()));
        for (int i = 0; i < inFlight.length; i++) {
            assertEquals(32 * 1024, await(inFlight[i]));
            assertEquals(data[i * 32 * 1024], bufs[i].get(0));
        }
        await(f.closeFuture());
        assertThrows(AioClosedException.class, f::size);
    }

    @Test
    void kernelErrorsNameOpFileOffsetLengthAndErrno() throws Exception {
        // writing past the largest offset ext4 takes: EFBIG, reported in the completion
        try (AioFile f = ctx.open(dir.resolve("big"), WRITE, CREATE)) {
            long pos = (1L << 44) + 4096; // ext4 with 4 KiB blocks stops at 16 TiB
            Throwable t = failure(f.writeAsync(pos, ByteBuffer.wrap(new byte[512])));
            AioIOException e = assertInstanceOf(AioIOException.class, t);
            assertEquals("pwrite", e.op());
            assertEquals(pos, e.position());
            assertEquals(512, e.length());
            assertEquals("EFBIG", e.errnoName());
            assertTrue(e.getMessage().contains(f.path().toString()), e.getMessage());
        }
    }

    @Test
    void alignedBuffersHaveTheCapacityAskedForWhateverItIs() {
        for (int i = 0; i < 64; i++) {
            ByteBuffer b = AlignedBuffers.allocate(100, 4096);
            assertEquals(100, b.capacity());
            assertEquals(0, java.lang.foreign.MemorySegment.ofBuffer(b).address() % 4096);
        }
    }
}

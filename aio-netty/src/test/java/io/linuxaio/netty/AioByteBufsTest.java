package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioOpenOption;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class AioByteBufsTest {

    static {
        LeakRecorder.install();
    }

    static EventLoopGroup group;
    static AioContext ctx;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ctx = EpollAio.bind(group.next(), AioContext.builder().queueDepth(32));
    }

    @AfterAll
    static void stop() throws Exception {
        ctx.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    private Path fileOf(byte[] data) throws Exception {
        Path p = dir.resolve("f" + System.nanoTime());
        Files.write(p, data);
        return p;
    }

    @Test
    void readsIntoDirectHeapAndCompositeBuffersAtTheWriterIndex() throws Exception {
        byte[] data = new byte[100_000];
        new Random(5).nextBytes(data);
        try (AioFile f = ctx.open(fileOf(data))) {
            ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            ByteBuf[] bufs = {
                alloc.directBuffer(64), alloc.heapBuffer(64), Unpooled.directBuffer(64),
                compositeOf(alloc),
            };
            for (ByteBuf b : bufs) {
                try {
                    b.writeBytes(new byte[] {9, 9});
                    assertEquals(5000, await(AioByteBufs.readAsync(f, 1000, b, 5000)));
                    assertEquals(5002, b.writerIndex());
                    assertEquals(9, b.getByte(1));
                    byte[] got = new byte[5000];
                    b.getBytes(2, got);
                    assertArrayEquals(Arrays.copyOfRange(data, 1000, 6000), got, b.getClass().getSimpleName());
                    assertEquals(1, b.refCnt(), "the read must give back what it retained");
                    // at the end of the file: 0, nothing written
                    assertEquals(0, await(AioByteBufs.readAsync(f, data.length, b, 10)));
                    assertEquals(5002, b.writerIndex());
                } finally {
                    b.release();
                }
            }
        }
    }

    private static CompositeByteBuf compositeOf(ByteBufAllocator alloc) {
        CompositeByteBuf c = alloc.compositeDirectBuffer();
        c.addComponent(true, alloc.directBuffer(1).writeByte(0));
        c.addComponent(true, alloc.heapBuffer(1).writeByte(0));
        c.writerIndex(0);
        return c;
    }

    @Test
    void writesTheReadableBytesAndAdvancesTheReaderIndex() throws Exception {
        Path p = dir.resolve("w");
        try (AioFile f = ctx.open(p, READ, WRITE, CREATE)) {
            ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes("0123456789".getBytes());
            direct.readerIndex(2);
            ByteBuf heap = Unpooled.wrappedBuffer("abcdef".getBytes());
            try {
                assertEquals(8, await(AioByteBufs.writeAsync(f, 0, direct)));
                assertEquals(10, direct.readerIndex());
                assertEquals(6, await(AioByteBufs.writeAsync(f, 8, heap)));
                assertEquals(0, heap.readableBytes());
                assertEquals(1, direct.refCnt());
                assertEquals(1, heap.refCnt());
            } finally {
                direct.release();
                heap.release();
            }
        }
        assertEquals("23456789abcdef", Files.readString(p));
    }

    @Test
    void alignedBuffersForODirectAndTheMisalignmentError() throws Exception {
        byte[] data = new byte[1 << 16];
        new Random(6).nextBytes(data);
        try (AioFile f = ctx.open(fileOf(data), READ, AioOpenOption.DIRECT)) {
            int align = f.alignment().offsetAlignment();
            ByteBuf aligned = AioByteBufs.allocateAligned(PooledByteBufAllocator.DEFAULT, f, align * 4);
            try {
                long address = MemorySegment.ofBuffer(aligned.nioBuffer(0, 1)).address();
                assertEquals(0, address % f.alignment().memoryAlignment());
                assertEquals(align * 4, await(AioByteBufs.readAsync(f, align, aligned, align * 4)));
                assertEquals(data[align], aligned.getByte(0));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> AioByteBufs.readAsync(f, 1, aligned.clear(), align));
                assertTrue(e.getMessage().contains("position 1"), e.getMessage());
                assertEquals(1, aligned.refCnt());
            } finally {
                aligned.release();
            }
            // a heap buffer goes through an aligned pooled direct buffer
            ByteBuf heap = Unpooled.buffer(align);
            try {
                assertEquals(align, await(AioByteBufs.readAsync(f, 0, heap, align)));
                assertEquals(data[align - 1], heap.getByte(align - 1));
            } finally {
                heap.release();
            }
        }
    }

    @Test
    void releasedAndTooSmallBuffersAreRefused() throws Exception {
        try (AioFile f = ctx.open(fileOf(new byte[10]))) {
            ByteBuf released = Unpooled.directBuffer(8);
            released.release();
            assertThrows(IllegalArgumentException.class, () -> AioByteBufs.readAsync(f, 0, released, 4));
            assertThrows(IllegalArgumentException.class, () -> AioByteBufs.writeAsync(f, 0, released));
            ByteBuf small = Unpooled.directBuffer(4, 4);
            try {
                assertThrows(IllegalArgumentException.class, () -> AioByteBufs.readAsync(f, 0, small, 5));
                assertThrows(IllegalArgumentException.class, () -> AioByteBufs.readAsync(f, 0, small, -1));
            } finally {
                small.release();
            }
        }
    }
}

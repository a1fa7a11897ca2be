package io.linuxaio;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same behaviour, asserted against the JDK's {@link AsynchronousFileChannel} and against
 * {@link AioAsynchronousFileChannel}: contents, return values and exception types must agree.
 */
@ExtendWith(LeakCheck.class)
class AsynchronousFileChannelConformanceTest {

    enum Impl {
        JDK {
            @Override
            AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException {
                return AsynchronousFileChannel.open(p, o);
            }
        },
        LINUX_AIO {
            @Override
            AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException {
                return AioAsynchronousFileChannel.open(p, o);
            }
        };

        abstract AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException;
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void writeThenReadBack(Impl impl) throws Exception {
        Path p = dir.resolve("f");
        byte[] data = TestFiles.random(100_000, 41);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE, CREATE)) {
            ByteBuffer src = ByteBuffer.wrap(data);
            assertEquals(data.length, await(ch.write(src, 0)));
            assertEquals(data.length, src.position());
            assertEquals(data.length, ch.size());
            ByteBuffer dst = ByteBuffer.allocate(1000);
            assertEquals(1000, await(ch.read(dst, 500)));
            assertEquals(1000, dst.position());
            assertArrayEquals(Arrays.copyOfRange(data, 500, 1500), dst.array());
            ByteBuffer direct = ByteBuffer.allocateDirect(10);
            assertEquals(10, await(ch.read(direct, 0)));
            assertEquals(data[9], direct.get(9));
        }
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void endOfFileAndEmptyBuffers(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "e", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            assertEquals(-1, await(ch.read(ByteBuffer.allocate(10), 100)));
            assertEquals(-1, await(ch.read(ByteBuffer.allocate(10), 5000)));
            assertEquals(40, await(ch.read(ByteBuffer.allocate(50), 60)));
            assertEquals(0, await(ch.read(ByteBuffer.allocate(0), 0)));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void badArgumentsAndAccessModes(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "b", new byte[100]);
        try (AsynchronousFileChannel ro = impl.open(p, READ); AsynchronousFileChannel wo = impl.open(p, WRITE)) {
            assertThrows(IllegalArgumentException.class, () -> ro.read(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> wo.write(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> ro.read(ByteBuffer.allocate(1).asReadOnlyBuffer(), 0));
            assertThrows(NullPointerException.class, () -> ro.read(null, 0));
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0));
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0));
            assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
            assertThrows(IllegalArgumentException.class, () -> wo.truncate(-1));
            assertThrows(NonWritableChannelException.class, () -> ro.tryLock(0, 10, false));
            assertThrows(NonReadableChannelException.class, () -> wo.tryLock(0, 10, true));
        }
        assertThrows(UnsupportedOperationException.class, () -> impl.open(p, WRITE, APPEND));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void aClosedChannelFailsRequests(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "c", new byte[100]);
        AsynchronousFileChannel ch = impl.open(p, READ, WRITE);
        assertTrue(ch.isOpen());
        ch.close();
        ch.close();
        assertFalse(ch.isOpen());
        assertInstanceOf(ClosedChannelException.class, failure(ch.read(ByteBuffer.allocate(1), 0)));
        assertInstanceOf(ClosedChannelException.class, failure(ch.write(ByteBuffer.allocate(1), 0)));
        assertThrows(ClosedChannelException.class, ch::size);
        assertThrows(ClosedChannelException.class, () -> ch.force(true));
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        ch.read(ByteBuffer.allocate(1), 0, "att", new CompletionHandler<Integer, String>() {
            @Override
            public void completed(Integer result, String attachment) {
                failed.complete(null);
            }

            @Override
            public void failed(Throwable exc, String attachment) {
                failed.complete("att".equals(attachment) ? exc : null);
            }
        });
        assertInstanceOf(ClosedChannelException.class, await(failed));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void completionHandlersGetTheResultAndTheAttachment(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "h", TestFiles.random(64, 42));
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            CompletableFuture<String> done = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(64), 0, 7, new CompletionHandler<Integer, Integer>() {
                @Override
                public void completed(Integer result, Integer attachment) {
                    done.complete(result + "/" + attachment);
                }

                @Override
                public void failed(Throwable exc, Integer attachment) {
                    done.completeExceptionally(exc);
                }
            });
            assertEquals("64/7", await(done));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sizeTruncateAndForce(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "s", new byte[1000]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            assertEquals(1000, ch.size());
            assertSame(ch, ch.truncate(2000)); // never grows the file
            assertEquals(1000, ch.size());
            ch.truncate(10);
            assertEquals(10, ch.size());
            ch.force(true);
            ch.force(false);
        }
        assertEquals(10, Files.size(p));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void locks(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "l", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            FileLock lock = ch.tryLock(0, 10, false);
            assertNotNull(lock);
            assertSame(ch, lock.acquiredBy());
            assertTrue(lock.isValid());
            assertFalse(lock.isShared());
            assertThrows(OverlappingFileLockException.class, () -> ch.tryLock(5, 10, false));
            lock.release();
            assertFalse(lock.isValid());
            FileLock shared = await(ch.lock(20, 10, true));
            assertTrue(shared.isShared());
            assertEquals(20, shared.position());
            shared.release();
        }
    }

    @Test
    void directIoWhichTheJdkChannelOffersOnlyWithoutAlignmentHelp() throws Exception {
        Path p = TestFiles.file(dir, "d", TestFiles.random(1 << 16, 43));
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ, AioOpenOption.DIRECT)) {
            int align = ch.file().alignment().offsetAlignment();
            ByteBuffer b = ch.file().allocateAligned(align * 2);
            assertEquals(align * 2, await(ch.read(b, align)));
            assertEquals(Files.readAllBytes(p)[align], b.get(0));
            assertThrows(IllegalArgumentException.class, () -> ch.read(ch.file().allocateAligned(align), 1));
            ByteBuffer heap = ByteBuffer.allocate(align);
            assertEquals(align, await(ch.read(heap, 0)));
            assertEquals(-1, await(ch.read(ch.file().allocateAligned(align), 1 << 16)));
        }
    }

    @Test
    void blockingReadsOnVirtualThreadsPark() throws Exception {
        Path p = TestFiles.file(dir, "v", TestFiles.random(1 << 20, 44));
        byte[] data = Files.readAllBytes(p);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p);
             var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int pos = (i * 4099) % (data.length - 4096);
                results.add(exec.submit(() -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    return f.read(pos, b) == 4096 && b.get(0) == data[pos] && b.get(4095) == data[pos + 4095];
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(await(r));
            }
            // on the owner thread a blocking call would wait for itself
            CompletableFuture<Throwable> onOwner = new CompletableFuture<>();
            ctx.ownerExecutor().execute(() -> {
                try {
                    f.read(0, ByteBuffer.allocateDirect(1));
                    onOwner.complete(null);
                } catch (Throwable t) {
                    onOwner.complete(t);
                }
            });
            assertInstanceOf(IllegalStateException.class, await(onOwner));
        }
    }

    static Set<OpenOption> set(OpenOption... o) {
        return Set.of(o);
    }
}

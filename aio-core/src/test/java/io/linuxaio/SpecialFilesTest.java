package io.linuxaio;

import io.linuxaio.abi.LibC;
import io.linuxaio.engine.BlockingPool;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files AIO cannot serve are refused at once, never opened blocking (a FIFO's open waits for its other
 * end), and blocking calls that wait long never hold up the I/O fallback.
 */
@ExtendWith(LeakCheck.class)
class SpecialFilesTest {

    @TempDir
    Path dir;

    private Path fifo() throws Exception {
        Path p = dir.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        return p;
    }

    private static NotRegularFileException refused(AioContext ctx, Path p, java.nio.file.OpenOption... options) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(NotRegularFileException.class, () -> ctx.open(p, options)));
    }

    @Test
    void aFifoWithoutAWriterOrReaderIsRefusedAtOnce() throws Exception {
        Path fifo = fifo();
        try (AioContext ctx = AioContext.open()) {
            assertEquals("FIFO", refused(ctx, fifo).fileType());
            assertEquals("FIFO", refused(ctx, fifo, WRITE).fileType()); // ENXIO: no reader
            assertEquals("FIFO", refused(ctx, fifo, READ, WRITE).fileType());
            // more than the pool has threads: none may park a thread
            List<CompletableFuture<AioFile>> opens = new ArrayList<>();
            for (int i = 0; i < BlockingPool.callThreads() + 4; i++) {
                opens.add(ctx.openAsync(fifo));
            }
            for (CompletableFuture<AioFile> open : opens) {
                NotRegularFileException e = assertInstanceOf(NotRegularFileException.class, failure(open));
                assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
            }
        }
    }

    @Test
    void socketsCharacterDevicesAndDirectoriesAreRefusedWithWhatTheyAre() throws Exception {
        Path sock = dir.resolve("sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             AioContext ctx = AioContext.open()) {
            server.bind(UnixDomainSocketAddress.of(sock));
            assertEquals("socket", refused(ctx, sock).fileType());
            assertEquals("character device", refused(ctx, Path.of("/dev/null"), READ, WRITE).fileType());
            NotRegularFileException e = refused(ctx, dir);
            assertEquals("directory", e.fileType());
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("directory"), e.getMessage());
        }
    }

    @Test
    void aRegularFileOpenedThisWayIsBlockingAgain() throws Exception {
        Path p = TestFiles.file(dir, "r", TestFiles.random(8192, 3));
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            assertEquals(8192, await(f.readAsync(0, ByteBuffer.allocateDirect(8192))));
            int flags = LibC.fcntl(f.fd(), LibC.F_GETFL, 0);
            assertTrue(flags >= 0);
            assertEquals(0, flags & LibC.O_NONBLOCK, "O_NONBLOCK was left on the descriptor");
        }
    }

    @Test
    void blockingCallsThatWaitDoNotHoldUpTheIoFallback() throws Exception {
        Path p = TestFiles.file(dir, "w", new byte[4096]);
        CountDownLatch gate = new CountDownLatch(1);
        try (AioContext calls = AioContext.open(); AioContext io = AioContext.open(); AioFile f = io.open(p, READ, WRITE)) {
            List<CompletableFuture<Object>> waits = new ArrayList<>();
            try {
                for (int i = 0; i < BlockingPool.callThreads() + 2; i++) {
                    waits.add(calls.supplyBlocking(() -> {
                        gate.await(); // a lock another process holds, say
                        return null;
                    }));
                }
                // ext4 refuses RWF_NOWAIT for buffered writes: this one needs the I/O fallback
                assertEquals(4096, await(f.writeAsync(0, ByteBuffer.allocateDirect(4096))));
                assertTrue(io.metrics().fallbacks() >= 1, io.metrics().toString());
                assertFalse(waits.get(0).isDone());
            } finally {
                gate.countDown();
            }
            for (CompletableFuture<Object> w : waits) {
                await(w);
            }
        }
        assertTrue(Files.exists(p));
    }
}

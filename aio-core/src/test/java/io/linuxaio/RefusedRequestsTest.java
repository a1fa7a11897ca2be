package io.linuxaio;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests the library must refuse, and whose refusal must have no effect: memory that is already
 * freed, requests on a closed file or context (zero-length ones too), blocking calls on a closed
 * context; and close() under an interrupt.
 */
@ExtendWith(LeakCheck.class)
class RefusedRequestsTest {

    @TempDir
    Path dir;

    @Test
    void aSegmentOfAClosedArenaIsRefusedAtTheCallAndTheKernelNeverWritesIt() throws Exception {
        Path p = TestFiles.file(dir, "a", TestFiles.random(8192, 1));
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            Arena arena = Arena.ofShared();
            MemorySegment seg = arena.allocate(4096, 4096);
            ByteBuffer view = seg.asByteBuffer();
            arena.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.readAsync(0, seg));
            assertTrue(e.getMessage().contains("arena is closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> f.readAsync(0, view));
            assertThrows(IllegalStateException.class, () -> f.writeAsync(0, seg));
            assertThrows(IllegalStateException.class, () -> f.writeAsync(0, view));
            assertThrows(IllegalStateException.class, () -> f.readAsync(0, new ByteBuffer[] {ByteBuffer.allocate(16), view}));
            assertEquals(0, ctx.metrics().submitted(), "nothing reached the kernel");
            // the file is as it was, and the context still works
            ByteBuffer back = ByteBuffer.allocate(8192);
            assertEquals(8192, await(f.readAsync(0, back)));
            assertArrayEquals(TestFiles.random(8192, 1), back.array());
        }
    }

    @Test
    void zeroLengthRequestsOnAClosedFileOrContextFailAsOthersDo() throws Exception {
        Path p = TestFiles.file(dir, "z", new byte[4096]);
        AioContext ctx = AioContext.open();
        AioFile closedFile = ctx.open(p, READ, WRITE);
        closedFile.close();
        AioFile ofClosedContext = ctx.open(p, READ, WRITE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment empty = arena.allocate(0);
            ctx.close();
            for (AioFile f : new AioFile[] {closedFile, ofClosedContext}) {
                assertInstanceOf(AioClosedException.class, failure(f.readAsync(0, ByteBuffer.allocate(0))), f.toString());
                assertInstanceOf(AioClosedException.class, failure(f.writeAsync(0, ByteBuffer.allocateDirect(0))));
                assertInstanceOf(AioClosedException.class, failure(f.readAsync(0, empty)));
                assertInstanceOf(AioClosedException.class, failure(f.writeAsync(0, empty)));
                assertInstanceOf(AioClosedException.class, failure(f.readAsync(0, new ByteBuffer[] {ByteBuffer.allocate(0)})));
                assertInstanceOf(AioClosedException.class, failure(f.writeAsync(0, new ByteBuffer[] {ByteBuffer.allocate(0)})));
            }
        } finally {
            ofClosedContext.close();
            await(ofClosedContext.closeFuture());
        }
    }

    @Test
    void zeroLengthRequestsOnAnOpenFileStillCompleteWithZero() throws Exception {
        Path p = TestFiles.file(dir, "o", new byte[4096]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            assertEquals(0, await(f.readAsync(0, ByteBuffer.allocate(0))));
            assertEquals(0, await(f.writeAsync(0, ByteBuffer.allocate(0))));
        }
    }

    @Test
    void blockingCallsRefusedByAClosedContextHaveNoEffect() throws Exception {
        Path p = TestFiles.file(dir, "t", new byte[4096]);
        AioContext ctx = AioContext.open();
        AioFile f = ctx.open(p, READ, WRITE);
        ctx.close();
        assertInstanceOf(AioClosedException.class, failure(f.truncate(100)));
        assertInstanceOf(AioClosedException.class, failure(f.allocate(0, 1 << 20)));
        AtomicBoolean ran = new AtomicBoolean();
        CompletableFuture<Object> call = ctx.supplyBlocking(() -> {
            ran.set(true);
            return null;
        });
        assertInstanceOf(AioClosedException.class, failure(call));
        assertEquals(4096, Files.size(p), "a refused truncate or allocate changed the file");
        assertFalse(ran.get(), "supplyBlocking ran the call of a closed context");
        f.close();
        await(f.closeFuture()); // the refused calls gave the descriptor's references back
    }

    @Test
    void closeKeepsItsPromiseWithTheInterruptStatusSetAndReassertsIt() throws Exception {
        Path p = TestFiles.file(dir, "i", TestFiles.random(1 << 20, 2));
        for (int round = 0; round < 3; round++) {
            AioContext ctx = AioContext.open();
            AioFile f = ctx.open(p, READ);
            CompletableFuture<Integer> read = f.readAsync(0, ByteBuffer.allocateDirect(1 << 20));
            f.close();
            Thread.currentThread().interrupt();
            ctx.close();
            boolean interrupted = Thread.interrupted();
            assertTrue(ctx.closeFuture().isDone(), "close() returned before the teardown");
            assertTrue(read.isDone(), "close() returned with a request in flight");
            assertTrue(interrupted, "close() swallowed the interrupt");
            await(f.closeFuture());
        }
    }
}

package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.ParkedPool;
import io.linuxaio.testing.OwnerThread;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Teardown and failure paths driven step by step through an owner thread the test controls: an event
 * loop that shuts down with requests in the kernel or on the blocking pool, closing with polls that
 * never became ready, callers that break their buffers while the kernel owns them.
 */
@ExtendWith(LeakCheck.class)
class TeardownTest {

    @TempDir
    Path dir;
    OwnerThread owner;

    @BeforeEach
    void startOwner() {
        owner = OwnerThread.startWithoutTurns("test-owner");
    }

    @AfterEach
    void stopOwner() {
        owner.stop();
    }

    /** Waits until the kernel posted {@code n} completions to the context's ring, then reaps them on the owner. */
    private void reapWhenPosted(AioContext ctx, long reapedBefore, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ctx.metrics().userReapedEvents() < reapedBefore + n && System.nanoTime() < deadline) {
            owner.call(() -> {
                owner.driver(ctx).runOwnerTurn();
                return null;
            });
        }
        assertTrue(ctx.metrics().userReapedEvents() >= reapedBefore + n, "the kernel did not complete the requests");
    }

    @Test
    void abandonWhileARequestRunsOnTheBlockingPoolLeavesItToThePool() throws Exception {
        Path p = dir.resolve("w");
        Files.writeString(p, "");
        ParkedPool pool = ParkedPool.park();
        try {
            AioContext ctx = owner.context(AioContext.builder().queueDepth(4));
            AioFile f = ctx.open(p, WRITE);
            ByteBuffer src = ByteBuffer.allocateDirect(16).put("WRITTEN-BY-AIO!!".getBytes(StandardCharsets.US_ASCII)).flip();
            CompletableFuture<Integer> write = owner.call(() -> f.writeAsync(0, src));
            // ext4 refuses RWF_NOWAIT for buffered writes: the reaped completion sends the write to the (parked) pool
            reapWhenPosted(ctx, 0, 1);
            assertEquals(1, ctx.metrics().fallbacks());
            owner.call(() -> {
                owner.driver(ctx).abandon("the loop shut down");
                return null;
            });
            assertEquals(1, owner.terminatingCalls());
            assertTrue(ctx.closeFuture().isDone());
            f.close();
            assertFalse(write.isDone(), "the write still runs: its future must wait for it");
            assertFalse(f.closeFuture().isDone(), "the descriptor must stay open while the pool uses it");
            pool.release();
            assertInstanceOf(AioAbandonedException.class, failure(write));
            await(f.closeFuture());
        } finally {
            pool.release();
        }
    }

    @Test
    void abandonWithReadsInTheKernelDeliversThemAndTearsDownOnce() throws Exception {
        Path p = TestFiles.file(dir, "r", TestFiles.random(1 << 20, 31));
        AioContext ctx = owner.context(AioContext.builder().queueDepth(16));
        AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            CompletableFuture<?>[] reads = owner.call(() -> {
                CompletableFuture<?>[] r = new CompletableFuture<?>[8];
                for (int i = 0; i < r.length; i++) {
                    r[i] = f.readAsync(i * 65536L, f.allocateAligned(65536));
                }
                ctx.engine().flush(); // in the kernel now
                return r;
            });
            CompletableFuture<Integer> poll = ctx.poll(pipe[0], AioAbi.POLLIN);
            owner.call(() -> {
                owner.driver(ctx).abandon("the loop shut down");
                owner.driver(ctx).abandon("again"); // idempotent
                return null;
            });
            for (CompletableFuture<?> r : reads) {
                assertEquals(65536, await(r), "a read the kernel held completes normally");
            }
            assertInstanceOf(AioAbandonedException.class, failure(poll));
            assertEquals(1, owner.terminatingCalls(), "the context was torn down more than once");
            assertTrue(ctx.closeFuture().isDone());
            f.close();
            await(f.closeFuture());
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    @Test
    void aFlagTheKernelRefusesFailsTheRequestInsteadOfLoopingThroughThePool() throws Exception {
        Path p = TestFiles.file(dir, "a", new byte[8192]);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p, READ, WRITE)) {
            Throwable t = failure(f.readAsync(0, ByteBuffer.allocateDirect(4096), AioAbi.RWF_ATOMIC, 0));
            AioIOException e = assertInstanceOf(AioIOException.class, t);
            assertTrue(e.errno() == 95 || e.errno() == 22, e.getMessage());
            assertTrue(ctx.metrics().fallbacks() <= 1, ctx.metrics().toString());
            // the refusal was about RWF_ATOMIC, not RWF_NOWAIT: plain reads still stay in the kernel
            long fallbacks = ctx.metrics().fallbacks();
            await(f.readAsync(0, ByteBuffer.allocateDirect(4096)));
            assertEquals(fallbacks, ctx.metrics().fallbacks());
        }
    }

    @Test
    void closeFailsPollsThatWaitedForASlot() throws Exception {
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            AioContext ctx = AioContext.builder().queueDepth(1).build();
            CompletableFuture<Integer> first = ctx.poll(pipe[0], AioAbi.POLLIN);
            CompletableFuture<Integer> second = ctx.poll(pipe[0], AioAbi.POLLIN); // waits for the one slot
            assertTimeoutPreemptively(Duration.ofSeconds(30), ctx::close);
            assertInstanceOf(AioAbandonedException.class, failure(first));
            assertInstanceOf(AioAbandonedException.class, failure(second));
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    @Test
    void aBufferBrokenWhileTheKernelOwnedItFailsOnlyItsOwnRequest() throws Exception {
        Path p = TestFiles.file(dir, "b", new byte[8192]);
        AioContext ctx = owner.context(AioContext.builder().queueDepth(4));
        AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
        ByteBuffer b1 = f.allocateAligned(4096);
        ByteBuffer b2 = f.allocateAligned(4096);
        CompletableFuture<?>[] reads = owner.call(() -> {
            CompletableFuture<?>[] r = {f.readAsync(0, b1), f.readAsync(4096, b2)};
            b1.limit(0); // a misbehaving caller: the position cannot advance past the limit any more
            return r;
        });
        reapWhenPosted(ctx, 0, 2);
        assertInstanceOf(IllegalArgumentException.class, failure(reads[0]));
        assertEquals(4096, await(reads[1]));
        f.close();
        owner.call(() -> {
            ctx.close();
            return null;
        });
        await(ctx.closeFuture());
        await(f.closeFuture());
    }

    @Test
    void closeOffTheOwnerLetsRequestsStillBeingHandedOverFinish() throws Exception {
        Path p = TestFiles.file(dir, "handover", TestFiles.random(8192, 61));
        AioContext ctx = owner.context(AioContext.builder().queueDepth(4).inlineCachedReads(false));
        AioFile f = ctx.open(p);
        AtomicReference<CompletableFuture<Integer>> second = new AtomicReference<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        record Seen(CompletableFuture<Integer> first, boolean tornDown, boolean secondDone) {
        }
        try {
            // one task on the owner, as one iteration of an event loop: a read goes to the kernel; meanwhile
            // another thread makes a second read (handed over: a task queued behind this one) and closes the
            // context; then the owner's turn reaps the first read, before the tasks queued meanwhile run
            Seen seen = owner.call(() -> {
                CompletableFuture<Integer> first = f.readAsync(0, ByteBuffer.allocateDirect(4096));
                ctx.engine().flush();
                Thread other = new Thread(() -> {
                    second.set(f.readAsync(4096, ByteBuffer.allocateDirect(4096))); // accepted: the context is open
                    ctx.close();
                    closed.complete(null);
                }, "closer");
                other.setDaemon(true);
                other.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while ((second.get() == null || ctx.isOpen()) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                while (!first.isDone() && System.nanoTime() < deadline) {
                    owner.driver(ctx).runOwnerTurn();
                }
                return new Seen(first, ctx.closeFuture().isDone(), second.get().isDone());
            });
            assertEquals(4096, await(seen.first()));
            assertFalse(seen.tornDown() && !seen.secondDone(),
                    "the context was torn down while a request accepted before close() had not run");
            reapWhenPosted(ctx, 1, 1);
            assertEquals(4096, await(second.get()), "the request accepted before close()");
            await(closed);
            assertTrue(ctx.closeFuture().isDone());
        } finally {
            f.close(); // a context left open is abandoned when the owner thread stops
        }
        await(f.closeFuture());
    }
}

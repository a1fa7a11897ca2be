package io.linuxaio.netty;

import io.linuxaio.AioAbandonedException;
import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(LeakCheck.class)
@LeakCheck.PerTest
class EpollAioTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;
    byte[] data;
    Path file;

    @BeforeEach
    void setUp() throws Exception {
        data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        file = dir.resolve("data");
        Files.write(file, data);
    }

    @Test
    void futuresCompleteOnTheLoopThreadOfTheIoEventLoopGroup() throws Exception {
        checkCompletesOnLoop(new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory()));
    }

    @Test
    @SuppressWarnings("deprecation")
    void futuresCompleteOnTheLoopThreadOfTheLegacyEpollGroup() throws Exception {
        checkCompletesOnLoop(new EpollEventLoopGroup(1));
    }

    private void checkCompletesOnLoop(EventLoopGroup group) throws Exception {
        try (EpollAio aio = EpollAio.create(group)) {
            EventLoop loop = group.next();
            AioFile f = aio.open(loop, file);
            // from another thread: handed to the loop, completed on it
            CompletableFuture<Thread> where = new CompletableFuture<>();
            CompletableFuture<Integer> read = new CompletableFuture<>();
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            loop.execute(() -> f.readAsync(4096, b).whenComplete((n, t) -> {
                where.complete(Thread.currentThread());
                read.complete(n);
            }));
            assertEquals(4096, await(read));
            assertTrue(loop.inEventLoop(await(where)), "completed on " + await(where));
            assertEquals(data[4096], b.get(0));
            CompletableFuture<Integer> offLoop = f.readAsync(0, ByteBuffer.allocateDirect(16));
            assertEquals(16, await(offLoop));
            f.close();
            await(f.closeFuture());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void requestsOfOneLoopTaskReachTheKernelInOneSubmit() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        // one io_submit may carry all 32 (by default a flush splits into io_submits of 8, reaping in between)
        // cached reads not done inline: this is about the batch the loop's task makes
        try (AioContext ctx = EpollAio.bind(group.next(), AioContext.builder().queueDepth(64).maxSubmitBatch(64)
                .inlineCachedReads(false));
             AioFile f = ctx.open(file)) {
            await(f.readAsync(0, ByteBuffer.allocateDirect(1)));
            CompletableFuture<Long> submitsBefore = new CompletableFuture<>();
            CompletableFuture<List<CompletableFuture<Integer>>> all = new CompletableFuture<>();
            group.next().execute(() -> {
                submitsBefore.complete(ctx.metrics().ioSubmitCalls());
                List<CompletableFuture<Integer>> fs = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    fs.add(f.readAsync(i * 4096L, ByteBuffer.allocateDirect(4096)));
                }
                all.complete(fs);
            });
            for (CompletableFuture<Integer> r : await(all)) {
                assertEquals(4096, await(r));
            }
            assertEquals(await(submitsBefore) + 1, ctx.metrics().ioSubmitCalls(), ctx.metrics().toString());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void currentPicksTheCallersLoop() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group)) {
            for (var e : group) {
                EventLoop loop = (EventLoop) e;
                CompletableFuture<AioContext> onLoop = new CompletableFuture<>();
                loop.execute(() -> onLoop.complete(aio.current()));
                assertSame(aio.context(loop), await(onLoop));
                assertTrue(aio.context(loop).inOwnerThread() == false);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void nioLoopsAreRefusedWithAClearMessage() throws Exception {
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EpollAio.create(nio));
            assertTrue(e.getMessage().contains("epoll"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> EpollAio.bind(nio.next(), AioContext.builder()));
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void loopShutdownWithRequestsInFlightFailsThemAndFreesTheContext() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            AioContext ctx = EpollAio.bind(group.next(), AioContext.builder().queueDepth(8));
            CompletableFuture<Integer> pending = ctx.poll(pipe[0], AioAbi.POLLIN); // never ready
            AioFile f = ctx.open(file);
            assertEquals(100, await(f.readAsync(0, ByteBuffer.allocateDirect(100))));
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            Throwable e = failure(pending);
            assertInstanceOf(AioAbandonedException.class, e);
            assertTrue(e.getMessage().contains("shut down"), e.getMessage());
            await(ctx.closeFuture());
            // after the loop is gone, new requests fail at once
            Throwable late = failure(f.readAsync(0, ByteBuffer.allocateDirect(1)));
            assertInstanceOf(java.nio.channels.ClosedChannelException.class, late);
            f.close();
            await(f.closeFuture());
        } finally {
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void closingAContextDeregistersItAndTheLoopGoesOn() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            for (int round = 0; round < 3; round++) {
                try (AioContext ctx = EpollAio.bind(group.next(), AioContext.builder().queueDepth(8));
                     AioFile f = ctx.open(file)) {
                    ByteBuffer b = ByteBuffer.allocateDirect(8);
                    assertEquals(8, await(f.readAsync(round, b)));
                    assertEquals(data[round], b.get(0));
                }
            }
            CompletableFuture<Boolean> alive = new CompletableFuture<>();
            group.next().execute(() -> alive.complete(true));
            assertTrue(await(alive));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioOpenOption;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.Futures;
import io.linuxaio.testing.LeakCheck;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An event loop that shuts down with a zero quiet period while it is busy: Netty 4.2 then may terminate
 * without closing its registered handles, and every future must complete all the same, the context be
 * torn down and its ring unmapped. On both transports: the io_uring glue's poll is cancelled differently
 * from epoll's registration.
 */
@ExtendWith(LeakCheck.class)
class LoopShutdownTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Waits for {@code f} to complete, normally or not: either is fine, pending is not. */
    private static void completes(CompletableFuture<?> f, String what) throws Exception {
        try {
            Futures.await(f, what + " (left pending after its loop shut down)");
        } catch (ExecutionException e) {
            // failed: completed all the same
        }
    }

    private static IoHandlerFactory transport(String name) {
        if (name.equals("io_uring")) {
            Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here (seccomp, or "
                    + "kernel.io_uring_disabled): " + IoUring.unavailabilityCause());
            return IoUringIoHandler.newFactory();
        }
        return EpollIoHandler.newFactory();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "io_uring"})
    void everyFutureCompletesWhenABusyLoopShutsDownWithAZeroQuietPeriod(String transportName) throws Exception {
        IoHandlerFactory transport = transport(transportName);
        Path p = dir.resolve("data");
        Files.write(p, random(8 << 20, 5));
        for (int round = 0; round < 10; round++) {
            MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport);
            EventLoop loop = group.next();
            AioContext ctx = EpollAio.bind(loop, AioContext.builder().queueDepth(16));
            AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
            int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
            try {
                // keep the loop busy, so that it sees the shutdown between tasks
                for (int i = 0; i < 1000; i++) {
                    loop.execute(() -> {
                        long until = System.nanoTime() + 20_000;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                    });
                }
                List<CompletableFuture<?>> futures = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    futures.add(f.readAsync((long) (i % 64) * 131072, f.allocateAligned(131072)));
                }
                futures.add(ctx.poll(pipe[0], AioAbi.POLLIN));
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
                for (int i = 0; i < 8; i++) { // made while the loop shuts down
                    futures.add(f.readAsync(0, f.allocateAligned(4096)));
                }
                for (CompletableFuture<?> future : futures) {
                    completes(future, "a request of round " + round);
                }
                completes(ctx.closeFuture(), "the context's teardown in round " + round);
                assertTrue(group.awaitTermination(30, TimeUnit.SECONDS));
                f.close();
                completes(f.closeFuture(), "the file's close");
            } finally {
                LibC.close(pipe[0]);
                LibC.close(pipe[1]);
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "io_uring"})
    void cachedReadsDoneOnTheLoopAreDeliveredWhenTheLoopShutsDownInTheSameTask(String transportName) throws Exception {
        byte[] data = random(1 << 20, 6);
        Path p = dir.resolve("cached");
        Files.write(p, data);
        Files.readAllBytes(p);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport(transportName));
        EventLoop loop = group.next();
        AioContext ctx = EpollAio.bind(loop, AioContext.builder().queueDepth(16).inlineCachedReads(true));
        AioFile f = ctx.open(p, READ);
        try {
            CompletableFuture<List<CompletableFuture<Integer>>> made = new CompletableFuture<>();
            List<ByteBuffer> buffers = new ArrayList<>();
            loop.execute(() -> {
                // read on the loop, at odd 8 KiB blocks (not a stream's reads): done at the call, delivered after the task
                List<CompletableFuture<Integer>> reads = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    buffers.add(b);
                    reads.add(f.readAsync((2L * i + 1) * 4096, b));
                }
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
                made.complete(reads);
            });
            List<CompletableFuture<Integer>> reads = made.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < reads.size(); i++) {
                // these were read before the shutdown began: delivered, not abandoned
                assertEquals(4096, reads.get(i).get(10, TimeUnit.SECONDS));
                assertEquals(data[(2 * i + 1) * 4096], buffers.get(i).get(0));
            }
            completes(ctx.closeFuture(), "the context's teardown");
            assertTrue(group.awaitTermination(30, TimeUnit.SECONDS));
            f.close();
            completes(f.closeFuture(), "the file's close");
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

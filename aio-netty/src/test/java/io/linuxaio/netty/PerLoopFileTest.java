package io.linuxaio.netty;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioFile;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A file opened once per loop: every request a loop makes completes on that loop. */
@ExtendWith(LeakCheck.class)
class PerLoopFileTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;

    @Test
    void eachLoopsRequestsCompleteOnThatLoop() throws Exception {
        Path p = TestFiles.file(dir, "f", TestFiles.random(1 << 16, 4));
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group)) {
            PerLoopFile file = aio.perLoop(p);
            List<AioFile> opened = new ArrayList<>();
            for (EventExecutor e : group) {
                EventLoop loop = (EventLoop) e;
                for (int i = 0; i < 9; i++) {
                    long position = 4096L * i;
                    CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
                    CompletableFuture<AioFile> which = new CompletableFuture<>();
                    loop.execute(() -> file.forLoop(loop).thenCompose(f -> {
                        which.complete(f);
                        return f.readAsync(position, ByteBuffer.allocateDirect(4096));
                    }).whenComplete((n, t) -> onLoop.complete(t == null && n == 4096 && loop.inEventLoop())));
                    assertTrue(await(onLoop), "a request of " + loop + " completed elsewhere, or failed");
                    AioFile f = await(which);
                    if (i == 0) {
                        opened.add(f);
                    } else {
                        assertSame(opened.get(opened.size() - 1), f, "the loop's file was opened again");
                    }
                }
            }
            assertEquals(2, opened.size());
            assertNotSame(opened.get(0), opened.get(1));
            assertNotSame(opened.get(0).context(), opened.get(1).context());
            file.close();
            for (AioFile f : opened) {
                await(f.closeFuture());
            }
            assertInstanceOf(AioClosedException.class, failure(file.forLoop((EventLoop) group.next())));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

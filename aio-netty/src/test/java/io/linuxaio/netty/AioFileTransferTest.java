package io.linuxaio.netty;

import io.linuxaio.AioFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class AioFileTransferTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;
    EventLoopGroup group;
    EpollAio aio;
    Channel server;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        aio = EpollAio.create(group);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close().sync();
        }
        aio.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        LeakRecorder.assertNoLeaks();
    }

    /** A server whose every connection gets what {@code onActive} starts. */
    private int serve(BiFunction<Channel, AioFile, CompletableFuture<Long>> onActive, Path file,
                      CompletableFuture<CompletableFuture<Long>> started) throws Exception {
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 16 * 1024)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) throws Exception {
                        AioFile f = aio.context(ctx.channel().eventLoop()).open(file);
                        CompletableFuture<Long> sent = onActive.apply(ctx.channel(), f);
                        sent.whenComplete((n, t) -> {
                            f.close();
                            ctx.channel().close(); // a server ends the connection with the transfer
                        });
                        started.complete(sent);
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Test
    void aSlowClientHoldsBackTheReadsInsteadOfFillingMemory() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(9).nextBytes(data);
        Path file = dir.resolve("f");
        Files.write(file, data);
        AtomicLong maxPending = new AtomicLong();
        CompletableFuture<CompletableFuture<Long>> started = new CompletableFuture<>();
        int port = serve((ch, f) -> {
            // sample the bytes written to the channel but not yet taken by the socket, on the loop
            ch.eventLoop().scheduleAtFixedRate(() -> {
                var out = ch.unsafe().outboundBuffer();
                if (out != null) {
                    maxPending.accumulateAndGet(out.totalPendingWriteBytes(), Math::max);
                }
            }, 1, 1, TimeUnit.MILLISECONDS);
            return AioFileTransfer.send(ch, f, 0, data.length, 64 * 1024, 4);
        }, file, started);
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", port));
            CompletableFuture<Long> sent = await(started);
            InputStream in = s.getInputStream();
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[8192];
            long total = 0;
            while (total < data.length) {
                if (total < (4 << 20)) {
                    Thread.sleep(0, 200_000); // a slow reader for the first 4 MiB
                }
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                md.update(buf, 0, n);
                total += n;
            }
            assertEquals(data.length, total);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), md.digest());
            assertEquals(data.length, await(sent));
        }
        // read-ahead 4 chunks of 64 KiB; Netty counts 96 bytes of bookkeeping per pending message
        assertTrue(maxPending.get() <= 4 * (64 * 1024 + 96), "pending bytes reached " + maxPending.get());
        assertTrue(maxPending.get() > 0, "the sampling saw nothing");
    }

    @Test
    void thePromiseFormCompletesThePromiseWithTheTransfer() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(12).nextBytes(data);
        Path file = dir.resolve("p");
        Files.write(file, data);
        CompletableFuture<CompletableFuture<Long>> started = new CompletableFuture<>();
        CompletableFuture<Boolean> promiseDone = new CompletableFuture<>();
        int port = serve((ch, f) -> {
            CompletableFuture<Long> sent = new CompletableFuture<>();
            io.netty.channel.ChannelFuture future = AioFileTransfer.send(ch.newPromise(), f, 0, data.length);
            future.addListener(g -> {
                promiseDone.complete(g.isSuccess());
                if (g.isSuccess()) {
                    sent.complete((long) data.length);
                } else {
                    sent.completeExceptionally(g.cause());
                }
            });
            return sent;
        }, file, started);
        try (Socket s = new Socket("127.0.0.1", port)) {
            byte[] got = s.getInputStream().readNBytes(data.length + 1); // the server closes after the transfer
            assertArrayEquals(data, got);
        }
        assertTrue(await(promiseDone), "the promise failed");
    }

    @Test
    void aClosedChannelFailsThePromiseWithTheCause() throws Exception {
        Path file = dir.resolve("q");
        Files.write(file, new byte[8 << 20]);
        CompletableFuture<CompletableFuture<Long>> started = new CompletableFuture<>();
        CompletableFuture<Throwable> cause = new CompletableFuture<>();
        int port = serve((ch, f) -> {
            AioFileTransfer.send(ch.newPromise(), f, 0, 8 << 20).addListener(g -> cause.complete(g.cause()));
            ch.close();
            return CompletableFuture.completedFuture(0L);
        }, file, started);
        try (Socket s = new Socket("127.0.0.1", port)) {
            assertTrue(await(cause) instanceof java.nio.channels.ClosedChannelException, "cause: " + cause.join());
        }
    }

    @Test
    void aClosedChannelFailsTheTransferAndReleasesEveryBuffer() throws Exception {
        byte[] data = new byte[8 << 20];
        Path file = dir.resolve("g");
        Files.write(file, data);
        CompletableFuture<CompletableFuture<Long>> started = new CompletableFuture<>();
        int port = serve((ch, f) -> AioFileTransfer.send(ch, f, 0, data.length, 32 * 1024, 8), file, started);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getInputStream().readNBytes(50_000);
        }
        CompletableFuture<Long> sent = await(started);
        Throwable e = failure(sent);
        assertTrue(e instanceof ClosedChannelException || e instanceof java.io.IOException, e.toString());
    }

    @Test
    void aFileThatEndsEarlyFailsTheTransfer() throws Exception {
        Path file = dir.resolve("short");
        Files.write(file, new byte[1000]);
        CompletableFuture<CompletableFuture<Long>> started = new CompletableFuture<>();
        int port = serve((ch, f) -> AioFileTransfer.send(ch, f, 0, 5000), file, started);
        try (Socket s = new Socket("127.0.0.1", port)) {
            CompletableFuture<Long> sent = await(started);
            Throwable e = failure(sent);
            assertInstanceOf(java.io.EOFException.class, e);
            assertTrue(e.getMessage().contains("1000"), e.getMessage());
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.abi.LibC;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file as a ChunkedInput behind ChunkedWriteHandler, raw and inside HttpChunkedInput, and cut short. */
@ExtendWith(LeakCheck.class)
class AioChunkedFileTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    private static byte[] sha(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** A server on a two-loop epoll group whose connections get {@code handler}'s handlers after a ChunkedWriteHandler. */
    private static Channel serve(MultiThreadIoEventLoopGroup group, boolean http, Function<SocketChannel, ChannelHandler> handler)
            throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (http) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16));
                        }
                        ch.pipeline().addLast(new ChunkedWriteHandler(), handler.apply(ch));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @Test
    void aRangeStreamsWholeBehindChunkedWriteHandler() throws Exception {
        byte[] data = TestFiles.random(3 * 1024 * 1024 + 123, 31);
        Path p = TestFiles.file(dir, "raw", data);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group); PerLoopFile file = aio.perLoop(p)) {
            long offset = 1000;
            long length = data.length - 2000;
            Channel server = serve(group, false, ch -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    file.forLoop(ctx.channel().eventLoop()).thenAccept(f -> ctx.writeAndFlush(
                            new AioChunkedFile(ctx.channel(), f, offset, length, 16384, 4)).addListener(ChannelFutureListener.CLOSE));
                }
            });
            for (int c = 0; c < 4; c++) {
                try (Socket s = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
                    s.setSoTimeout(30_000);
                    byte[] got = s.getInputStream().readAllBytes();
                    assertEquals(length, got.length);
                    assertArrayEquals(sha(Arrays.copyOfRange(data, (int) offset, (int) (offset + length))), sha(got));
                }
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A file evicted from the page cache: its reads go to the blocking pool, several at once, and land out
     * of order; the chunks must still go out in file order (they once went out as they landed).
     */
    @Test
    void aColdFileStreamsInFileOrderThoughItsReadsLandOutOfOrder() throws Exception {
        byte[] data = TestFiles.random(16 * 1024 * 1024, 37);
        Path p = TestFiles.file(dir, "cold", data);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group); PerLoopFile file = aio.perLoop(p)) {
            Channel server = serve(group, false, ch -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    file.forLoop(ctx.channel().eventLoop()).thenAccept(f -> {
                        LibC.posix_fadvise(f.fd(), 0, 0, LibC.POSIX_FADV_DONTNEED); // RWF_NOWAIT now answers EAGAIN
                        ctx.writeAndFlush(new AioChunkedFile(ctx.channel(), f, 0, data.length, 65536, 8))
                                .addListener(ChannelFutureListener.CLOSE);
                    });
                }
            });
            for (int c = 0; c < 3; c++) {
                try (Socket s = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
                    s.setSoTimeout(30_000);
                    byte[] got = s.getInputStream().readAllBytes();
                    assertEquals(data.length, got.length);
                    assertArrayEquals(sha(data), sha(got), "connection " + c + ": the bytes came out of order");
                }
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void insideHttpChunkedInputAnHttpClientGetsTheWholeFile() throws Exception {
        byte[] data = TestFiles.random(2 * 1024 * 1024 + 7, 32);
        Path p = TestFiles.file(dir, "http", data);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group); PerLoopFile file = aio.perLoop(p)) {
            Channel server = serve(group, true, ch -> new SimpleChannelInboundHandler<FullHttpRequest>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                    file.forLoop(ctx.channel().eventLoop()).thenAccept(f -> {
                        DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                        ctx.write(response);
                        ctx.writeAndFlush(new HttpChunkedInput(new AioChunkedFile(ctx.channel(), f, 0, data.length, 65536, 4)));
                    });
                }
            });
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 3; i++) {
                HttpResponse<byte[]> r = client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + ((InetSocketAddress) server.localAddress()).getPort() + "/")).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertArrayEquals(sha(data), sha(r.body()));
            }
            client.close();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aClientThatGoesAwayMidTransferLeavesNothingBehind() throws Exception {
        byte[] data = TestFiles.random(8 * 1024 * 1024, 33);
        Path p = TestFiles.file(dir, "cut", data);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group); PerLoopFile file = aio.perLoop(p)) {
            Channel server = serve(group, false, ch -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    file.forLoop(ctx.channel().eventLoop()).thenAccept(f ->
                            ctx.writeAndFlush(new AioChunkedFile(ctx.channel(), f, 0, data.length, 65536, 8)));
                }
            });
            for (int c = 0; c < 8; c++) {
                try (Socket s = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
                    s.setSoTimeout(30_000);
                    InputStream in = s.getInputStream();
                    assertEquals(65536, in.readNBytes(65536).length);
                } // closed with most of the file unsent
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A read refused at once (the file is closed) completes in the caller, inside readChunk: the transfer
     * fails with that cause, and ChunkedWriteHandler, which is not re-entrant, is not resumed from inside
     * its own call (it used to be, and then threw NoSuchElementException and leaked the chunk in hand).
     */
    @Test
    void aReadRefusedInsideReadChunkFailsTheTransferOnce() throws Exception {
        Path p = TestFiles.file(dir, "gone", TestFiles.random(100_000, 35));
        try (AioContext ctx = AioContext.open()) {
            AioFile f = ctx.open(p);
            f.close();
            EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler());
            ChannelFuture done = ch.writeAndFlush(new AioChunkedFile(ch, f, 0, 100_000, 8192, 4));
            assertTrue(done.isDone());
            assertInstanceOf(AioClosedException.class, done.cause());
            ch.checkException(); // nothing thrown inside the pipeline
            assertEquals(null, (Object) ch.readOutbound());
            ch.finishAndReleaseAll();
        }
    }

    /** Reads that complete inline (page-cached, inlineCachedReads) inside readChunk: every byte once, in order. */
    @Test
    void readsCompletingInsideReadChunkStreamEveryByteInOrder() throws Exception {
        byte[] data = TestFiles.random(200_000 + 17, 36);
        Path p = TestFiles.file(dir, "cached", data);
        try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p)) {
            EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler());
            ChannelFuture done = ch.writeAndFlush(new AioChunkedFile(ch, f, 0, data.length, 8192, 4));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!done.isDone() && System.nanoTime() < deadline) {
                ch.runPendingTasks(); // completions handed from the context's thread, if any were not inline
                drain(ch, got);
                Thread.onSpinWait();
            }
            drain(ch, got);
            assertTrue(done.isSuccess(), () -> "transfer: " + done.cause());
            ch.checkException();
            assertArrayEquals(sha(data), sha(got.toByteArray()));
            ch.finishAndReleaseAll();
        }
    }

    private static void drain(EmbeddedChannel ch, ByteArrayOutputStream out) {
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.writeBytes(bytes);
            b.release();
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.AioFile;
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
}

package io.linuxaio.netty;

import io.linuxaio.abi.LibC;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataChunkedInput;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link AioChunkedFile} inside Netty's {@code Http2DataChunkedInput}, behind {@code ChunkedWriteHandler} on an
 * {@code Http2FrameCodec} pipeline, as Netty's HTTP/2 file example streams: curl with prior knowledge gets every
 * byte, cached and cold, several streams at once on one connection.
 */
@ExtendWith(io.linuxaio.testing.LeakCheck.class)
class AioChunkedFileHttp2Test {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;
    EventLoopGroup group;
    EpollAio aio;
    Channel server;
    PerLoopFile perLoop;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close().sync();
        }
        if (perLoop != null) {
            perLoop.close();
        }
        if (aio != null) {
            aio.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        LeakRecorder.assertNoLeaks();
    }

    /** Answers a request's HEADERS with the file's HEADERS and its bytes as Http2DataChunkedInput(AioChunkedFile). */
    private static final class FileStreams extends ChannelInboundHandlerAdapter {
        private final PerLoopFile file;
        private final long length;

        FileStreams(PerLoopFile file, long length) {
            this.file = file;
            this.length = length;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
                    Http2Headers headers = new DefaultHttp2Headers().status("200");
                    headers.setLong("content-length", length);
                    ctx.write(new DefaultHttp2HeadersFrame(headers).stream(h.stream()));
                    file.forLoop(ctx.channel().eventLoop()).thenAccept(f -> ctx.writeAndFlush(
                            new Http2DataChunkedInput(new AioChunkedFile(ctx.channel(), f, 0, length, 64 * 1024, 4), h.stream())));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private static boolean curlHasHttp2() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 && out.contains("HTTP2");
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void curlWithPriorKnowledgeGetsEveryByteCachedAndColdOnSeveralStreams() throws Exception {
        assumeTrue(curlHasHttp2(), "curl with HTTP/2 is not installed");
        byte[] data = new byte[(16 << 20) + 5];
        new Random(33).nextBytes(data);
        Path file = Files.write(dir.resolve("f.bin"), data);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        aio = EpollAio.create(group);
        perLoop = aio.perLoop(file);
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new ChunkedWriteHandler(),
                                new FileStreams(perLoop, data.length));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        String url = "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/f.bin";
        for (boolean cold : new boolean[] {true, false}) {
            if (cold) {
                try (Arena arena = Arena.ofConfined()) {
                    int fd = LibC.open(LibC.cString(arena, file), LibC.O_RDONLY, 0);
                    assertEquals(0, LibC.fsync(fd));
                    assertEquals(0, LibC.posix_fadvise(fd, 0, 0, LibC.POSIX_FADV_DONTNEED));
                    LibC.close(fd);
                }
            }
            // three connections at once (Debian's curl 7.88.1 fails when it reuses a prior-knowledge connection)
            List<Process> curls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                curls.add(new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "--max-time", "60",
                        "-o", dir.resolve("out" + i).toString(), url).redirectErrorStream(true).start());
            }
            for (Process p : curls) {
                String out = new String(p.getInputStream().readAllBytes());
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "curl ended");
                assertEquals(0, p.exitValue(), out);
            }
            for (int i = 0; i < 3; i++) {
                byte[] got = Files.readAllBytes(dir.resolve("out" + i));
                assertEquals(expected, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(got)),
                        (cold ? "cold" : "cached") + " stream " + i);
            }
        }
    }
}

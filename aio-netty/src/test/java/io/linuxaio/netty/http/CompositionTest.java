package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handler among other Netty handlers: a compressor, no aggregator, one instance for all, the wrong group. */
@ExtendWith(LeakCheck.class)
class CompositionTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    static Path root;
    static byte[] js;
    static byte[] gz;
    static EventLoopGroup group;
    static EpollAio aio;

    @BeforeAll
    static void start() throws Exception {
        js = ("console.log('x');\n".repeat(500)).getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve("app.js"), js);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(js);
        }
        gz = b.toByteArray();
        Files.write(root.resolve("app.js.gz"), gz);
        Files.write(root.resolve("big.bin"), TestFiles.random(300_000, 2));
        Files.writeString(root.resolve("a.txt"), "plain");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        aio = EpollAio.create(group).bindAll();
    }

    @AfterAll
    static void stop() throws Exception {
        aio.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    /** A server of this group whose connections get the codec, then {@code handlers}. */
    static Channel server(EventLoopGroup g, io.netty.channel.ChannelHandler... handlers) throws Exception {
        return new ServerBootstrap().group(g).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec()).addLast(handlers);
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    /** Sends {@code requests} and reads {@code expected} responses, fewer when the server closes first. */
    static List<RawHttp.Response> exchange(Channel server, String requests, int expected) throws Exception {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            List<RawHttp.Response> rs = new java.util.ArrayList<>();
            for (int i = 0; i < expected; i++) {
                RawHttp.Response r;
                try {
                    r = RawHttp.read(in, false);
                } catch (java.net.SocketException reset) {
                    break;
                }
                if (r == null) {
                    break;
                }
                rs.add(r);
            }
            return rs;
        }
    }

    static byte[] gunzip(byte[] b) throws Exception {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }

    @Test
    void behindACompressorFileBodiesGoOutAsTheyAre() throws Exception {
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).build();
        Channel server = server(group, new HttpContentCompressor(), handler);
        try {
            List<RawHttp.Response> rs = exchange(server, RawHttp.request("GET", "/big.bin", "Accept-Encoding: gzip")
                    + RawHttp.request("GET", "/big.bin", "Accept-Encoding: gzip", "Range: bytes=10-19")
                    + RawHttp.request("GET", "/missing", "Accept-Encoding: gzip"), 3);
            assertEquals(200, rs.get(0).status());
            assertNull(rs.get(0).header("content-encoding"));
            assertArrayEquals(Files.readAllBytes(root.resolve("big.bin")), rs.get(0).body());
            assertEquals(206, rs.get(1).status());
            assertNull(rs.get(1).header("content-encoding"));
            assertEquals(10, rs.get(1).body().length);
            // small answers of the handler itself are compressed, and correctly
            RawHttp.Response missing = rs.get(2);
            assertEquals(404, missing.status());
            if ("gzip".equals(missing.header("content-encoding"))) {
                assertTrue(new String(gunzip(missing.body()), StandardCharsets.UTF_8).startsWith("404"));
            }
        } finally {
            server.close().sync();
        }
    }

    @Test
    void precompressedSiblingsAreServedWhenAccepted() throws Exception {
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).precompressed(true).build();
        Channel server = server(group, handler);
        try {
            List<RawHttp.Response> rs = exchange(server, RawHttp.request("GET", "/app.js", "Accept-Encoding: br, gzip")
                    + RawHttp.request("GET", "/app.js") + RawHttp.request("GET", "/app.js", "Accept-Encoding: gzip;q=0")
                    + RawHttp.request("GET", "/a.txt", "Accept-Encoding: gzip"), 4);
            RawHttp.Response zipped = rs.get(0);
            assertEquals("gzip", zipped.header("content-encoding"));
            assertEquals("accept-encoding", zipped.header("vary").toLowerCase());
            assertEquals("text/javascript; charset=utf-8", zipped.header("content-type"));
            assertArrayEquals(gz, zipped.body());
            assertArrayEquals(js, gunzip(zipped.body()));
            for (RawHttp.Response plain : List.of(rs.get(1), rs.get(2))) {
                assertNull(plain.header("content-encoding"));
                assertEquals("accept-encoding", plain.header("vary").toLowerCase());
                assertArrayEquals(js, plain.body());
            }
            assertNull(rs.get(3).header("vary"), "a file without a sibling does not vary");
        } finally {
            server.close().sync();
        }
    }

    @Test
    void withoutAnAggregatorRequestsAndTheirBodiesAreTakenApart() throws Exception {
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).build();
        Channel server = server(group, handler);
        try {
            List<RawHttp.Response> rs = exchange(server, "GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                    + "POST /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                    + RawHttp.request("GET", "/a.txt"), 3);
            assertEquals(3, rs.size());
            assertEquals("plain", rs.get(0).text());
            assertEquals(405, rs.get(1).status());
            assertEquals("plain", rs.get(2).text());
        } finally {
            server.close().sync();
        }
    }

    @Test
    void oneInstanceServesEveryChannel() throws Exception {
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).build();
        assertTrue(handler.isSharable());
        Channel server = server(group, handler);
        try {
            for (int i = 0; i < 5; i++) {
                assertEquals("plain", exchange(server, RawHttp.request("GET", "/a.txt"), 1).get(0).text());
            }
        } finally {
            server.close().sync();
        }
    }

    @Test
    void anEpollAioOfAnotherGroupIsRefused() throws Exception {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (EpollAio wrong = EpollAio.create(boss)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HttpFileServer.bind(group, wrong, root, "127.0.0.1", 0));
            assertTrue(e.getMessage().contains("EpollAio.create"), e.getMessage());
            // in a pipeline of one's own: the connection is closed at once (and the reason logged once)
            Channel server = server(group, AioHttpFileHandler.builder(root).aio(wrong).build());
            try {
                assertEquals(0, exchange(server, RawHttp.request("GET", "/a.txt"), 1).size());
            } finally {
                server.close().sync();
            }
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

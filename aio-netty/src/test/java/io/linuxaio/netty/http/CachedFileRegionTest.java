package io.linuxaio.netty.http;

import io.linuxaio.abi.LibC;
import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.linuxaio.testing.PageCache;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file the page cache holds to its end goes out with sendfile ({@link CachedFileRegion}): no byte of it
 * is read through AIO, and it is the same bytes, whole, to a client that reads slowly or leaves. Anything
 * else (a range short of the end, a cold file) is read through AIO when the handler is told not to send it
 * with sendfile on the blocking pool.
 */
@ExtendWith(io.linuxaio.testing.LeakCheck.class)
class CachedFileRegionTest {

    static {
        LeakRecorder.install();
    }

    private static final int SIZE = 6 * 1024 * 1024 + 123; // 7 pieces of CachedFileRegion.PIECE

    @TempDir
    static Path root;
    static byte[] content;
    static EventLoopGroup group;
    static EpollAio aio;
    static Channel server;
    static int port;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        content = new byte[SIZE];
        new Random(21).nextBytes(content);
        Files.write(root.resolve("f.bin"), content);
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        aio = EpollAio.create(group);
        // bodies that are not cached tails read through AIO here (PooledSendfileTest has the default way)
        server = HttpFileServer.bind(group, AioHttpFileHandler.builder(root).aio(aio).pooledSendfile(false).build(),
                "127.0.0.1", 0, HttpFileServer.Options.DEFAULT);
        port = ((InetSocketAddress) server.localAddress()).getPort();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close().sync();
        aio.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    private static void cache() throws Exception {
        Files.readAllBytes(root.resolve("f.bin"));
    }

    /** Writes a new file of {@link #content} and drops it from the page cache: no client has touched its pages. */
    private static void writeCold(String name) throws Exception {
        Files.write(root.resolve(name), content);
        PageCache.evict(root.resolve(name));
    }

    private static HttpResponse<byte[]> get(String range) throws Exception {
        return get("/f.bin", range);
    }

    private static HttpResponse<byte[]> get(String path, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (range != null) {
            b.header("Range", range);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static long bytesReadThroughAio() {
        return aio.metrics().bytesRead();
    }

    @Test
    void aCachedFileIsSentWholeWithoutAnAioRead() throws Exception {
        cache();
        long before = bytesReadThroughAio();
        HttpResponse<byte[]> r = get(null);
        assertEquals(200, r.statusCode());
        assertArrayEquals(content, r.body());
        assertEquals(before, bytesReadThroughAio(), "a cached file was read through AIO");
    }

    @Test
    void aCachedRangeToTheEndIsSentWithoutAnAioRead() throws Exception {
        cache();
        long before = bytesReadThroughAio();
        HttpResponse<byte[]> r = get("bytes=1000-");
        assertEquals(206, r.statusCode());
        assertEquals("bytes 1000-" + (SIZE - 1) + "/" + SIZE, r.headers().firstValue("content-range").orElseThrow());
        assertArrayEquals(Arrays.copyOfRange(content, 1000, SIZE), r.body());
        assertEquals(before, bytesReadThroughAio());
    }

    @Test
    void aRangeShortOfTheEndIsReadThroughAio() throws Exception {
        cache();
        long before = bytesReadThroughAio();
        HttpResponse<byte[]> r = get("bytes=1000-1999");
        assertEquals(206, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(content, 1000, 2000), r.body());
        assertEquals(before + 1000, bytesReadThroughAio(), "a range that may meet a readahead mark went out with sendfile");
    }

    @Test
    void aCachedTailLongerThanTheCapIsReadThroughAio() throws Exception {
        byte[] large = new byte[(int) CachedFileRegion.MAX_TAIL + 4096];
        new Random(22).nextBytes(large);
        Files.write(root.resolve("large.bin"), large);
        Files.readAllBytes(root.resolve("large.bin"));
        long before = bytesReadThroughAio();
        HttpResponse<byte[]> r = get("/large.bin", null);
        assertArrayEquals(large, r.body());
        assertEquals(before + large.length, bytesReadThroughAio(), "a tail past the cap went out with sendfile");
        HttpResponse<byte[]> tail = get("/large.bin", "bytes=8192-");
        assertArrayEquals(Arrays.copyOfRange(large, 8192, large.length), tail.body());
        assertEquals(before + large.length, bytesReadThroughAio(), "a tail under the cap was read through AIO");
    }

    @Test
    void aColdFileIsReadThroughAio() throws Exception {
        writeCold("cold.bin");
        long before = bytesReadThroughAio();
        HttpResponse<byte[]> r = get("/cold.bin", null);
        assertEquals(200, r.statusCode());
        assertArrayEquals(content, r.body());
        assertEquals(before + SIZE, bytesReadThroughAio(), "a cold file went out with sendfile, which reads on the loop");
    }

    @Test
    void aSlowReaderGetsEveryByteAndOneThatLeavesStopsNothing() throws Exception {
        cache();
        long before = bytesReadThroughAio();
        for (int leaveAfter : new int[] {SIZE + 1000, 100_000}) {
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(16 * 1024);
                s.connect(new InetSocketAddress("127.0.0.1", port));
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write("GET /f.bin HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = s.getInputStream();
                String status = RawHttp.line(in);
                assertTrue(status.startsWith("HTTP/1.1 200"), status);
                for (String l = RawHttp.line(in); l != null && !l.isEmpty(); l = RawHttp.line(in)) {
                    // the head
                }
                byte[] body = new byte[SIZE];
                int got = 0;
                byte[] buf = new byte[8192];
                int reads = 0;
                while (got < SIZE && got < leaveAfter) {
                    int n = in.read(buf, 0, Math.min(buf.length, SIZE - got));
                    assertTrue(n > 0, "the body ended at " + got);
                    System.arraycopy(buf, 0, body, got, n);
                    got += n;
                    if (++reads % 64 == 0) {
                        Thread.sleep(1); // a slow reader: the socket's buffer fills and sendfile answers EAGAIN
                    }
                }
                if (leaveAfter > SIZE) {
                    assertArrayEquals(content, body);
                }
            }
        }
        // the server goes on serving after the client that left
        assertArrayEquals(content, get(null).body());
        assertEquals(before, bytesReadThroughAio());
    }
}

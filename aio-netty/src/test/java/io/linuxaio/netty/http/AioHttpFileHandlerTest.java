package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class AioHttpFileHandlerTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    static Path base;
    static Path root;
    static byte[] big;
    static EventLoopGroup group;
    static EpollAio aio;
    static Channel server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(base.resolve("www"));
        big = new byte[3 * 1024 * 1024 + 17];
        new Random(8).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.writeString(root.resolve("index.html"), "<h1>hello</h1>");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/a.txt"), "in sub");
        Files.writeString(base.resolve("secret.txt"), "TOP SECRET");
        Files.createSymbolicLink(root.resolve("escape"), base.resolve("secret.txt"));
        Files.write(root.resolve("empty.txt"), new byte[0]);

        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        aio = EpollAio.create(group);
        server = HttpFileServer.bind(group, aio, root, "127.0.0.1", 0);
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().sync();
        aio.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends raw request text and reads {@code count} responses from one connection. */
    static Response[] exchange(String requests, int count, boolean head) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            Response[] rs = new Response[count];
            for (int i = 0; i < count; i++) {
                rs[i] = readResponse(in, head);
            }
            return rs;
        }
    }

    static Response get(String path, String... headers) throws IOException {
        return exchange(request("GET", path, headers), 1, false)[0];
    }

    static String request(String method, String path, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: test\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    static Response readResponse(InputStream in, boolean head) throws IOException {
        String status = line(in);
        assertNotNull(status, "connection closed before a response");
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int c = l.indexOf(':');
            headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
        }
        int len = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(len);
        assertEquals(len, body.length, "body cut short");
        return new Response(Integer.parseInt(status.split(" ")[1]), headers, body);
    }

    static String line(InputStream in) throws IOException {
        return RawHttp.line(in);
    }

    @Test
    void getServesTheWholeFileWithItsHeaders() throws Exception {
        Response r = get("/big.bin");
        assertEquals(200, r.status());
        assertEquals(String.valueOf(big.length), r.header("content-length"));
        assertEquals("application/octet-stream", r.header("content-type"));
        assertEquals("bytes", r.header("accept-ranges"));
        assertNotNull(r.header("etag"));
        assertNotNull(r.header("last-modified"));
        assertArrayEquals(big, r.body());
        Response html = get("/index.html");
        assertEquals("text/html", html.header("content-type")); // a page declares its own charset
        assertEquals("<h1>hello</h1>", new String(html.body(), StandardCharsets.UTF_8));
        assertEquals(0, get("/empty.txt").body().length);
        assertEquals("in sub", new String(get("/sub/a.txt?x=1").body(), StandardCharsets.UTF_8));
    }

    @Test
    void headSendsTheHeadersOnly() throws Exception {
        Response r = exchange(request("HEAD", "/big.bin"), 1, true)[0];
        assertEquals(200, r.status());
        assertEquals(String.valueOf(big.length), r.header("content-length"));
        // the connection carries nothing after the head: a following GET is answered right after it
        Response[] two = exchange(request("HEAD", "/index.html") + request("GET", "/index.html"), 2, true);
        assertEquals(200, two[1].status());
    }

    @Test
    void singleRangesAndUnsatisfiableOnes() throws Exception {
        Response r = get("/big.bin", "Range: bytes=10-19");
        assertEquals(206, r.status());
        assertEquals("bytes 10-19/" + big.length, r.header("content-range"));
        assertArrayEquals(Arrays.copyOfRange(big, 10, 20), r.body());

        Response suffix = get("/big.bin", "Range: bytes=-5");
        assertEquals(206, suffix.status());
        assertArrayEquals(Arrays.copyOfRange(big, big.length - 5, big.length), suffix.body());

        Response open = get("/big.bin", "Range: bytes=" + (big.length - 100000) + "-");
        assertEquals(206, open.status());
        assertArrayEquals(Arrays.copyOfRange(big, big.length - 100000, big.length), open.body());

        Response past = get("/big.bin", "Range: bytes=" + big.length + "-");
        assertEquals(416, past.status());
        assertEquals("bytes */" + big.length, past.header("content-range"));
        assertEquals(416, get("/big.bin", "Range: bytes=20-10").status());

        // several ranges: multipart/byteranges (MultipleRangesTest has the details)
        Response multi = get("/index.html", "Range: bytes=0-1,3-4");
        assertEquals(206, multi.status());
        assertTrue(multi.header("content-type").startsWith("multipart/byteranges; boundary="));
    }

    @Test
    void conditionalRequestsGetNotModified() throws Exception {
        Response first = get("/index.html");
        String etag = first.header("etag");
        assertEquals(304, get("/index.html", "If-None-Match: " + etag).status());
        assertEquals(304, get("/index.html", "If-None-Match: \"nope\", " + etag).status());
        assertEquals(200, get("/index.html", "If-None-Match: \"nope\"").status());
        assertEquals(304, get("/index.html", "If-Modified-Since: " + first.header("last-modified")).status());
        assertEquals(200, get("/index.html", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT").status());
        assertEquals(0, get("/index.html", "If-None-Match: " + etag).body().length);
    }

    @Test
    void keepAliveAndPipelinedRequestsAreAnsweredInOrder() throws Exception {
        Response[] rs = exchange(request("GET", "/big.bin", "Range: bytes=0-99999") + request("GET", "/index.html")
                + request("GET", "/missing") + request("GET", "/sub/a.txt", "Connection: close"), 4, false);
        assertEquals(206, rs[0].status());
        assertArrayEquals(Arrays.copyOfRange(big, 0, 100000), rs[0].body());
        assertEquals("<h1>hello</h1>", new String(rs[1].body(), StandardCharsets.UTF_8));
        assertEquals(404, rs[2].status());
        assertEquals("in sub", new String(rs[3].body(), StandardCharsets.UTF_8));
        assertEquals("close", rs[3].header("connection"));
    }

    @Test
    void missingFilesDirectoriesAndOtherMethods() throws Exception {
        assertEquals(404, get("/nothing-here").status());
        Response dir = get("/sub");
        assertEquals(301, dir.status());
        assertEquals("/sub/", dir.header("location"));
        Response post = exchange(request("POST", "/index.html", "Content-Length: 0"), 1, false)[0];
        assertEquals(405, post.status());
        assertEquals("GET, HEAD", post.header("allow"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/sub/..%2f..%2fsecret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/%5c..%5csecret.txt", "/escape",
        "/sub/../../secret.txt", "/index.html%00.txt", "/..", "/%2e%2e",
    })
    void pathsLeavingTheRootAreForbidden(String path) throws Exception {
        Response r = get(path);
        assertEquals(403, r.status(), path);
        assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("TOP SECRET"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%252e%252e/secret.txt", "/..../secret.txt", "//secret.txt", "/sub/./../secret.txt"})
    void oddPathsNeverReachOutsideTheRoot(String path) throws Exception {
        Response r = get(path);
        assertNotEquals(200, r.status(), path);
        assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("TOP SECRET"), path);
    }

    @Test
    void aClientThatDisconnectsMidDownloadLeavesNothingBehind() throws Exception {
        Path huge = root.resolve("huge.bin");
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(huge)) {
            for (int i = 0; i < 64; i++) {
                out.write(chunk);
            }
        }
        long before = fdCount();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(request("GET", "/huge.bin").getBytes(StandardCharsets.ISO_8859_1));
            s.getInputStream().readNBytes(100_000);
        }
        // the server notices the disconnect and closes the file: the descriptor count comes back
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (fdCount() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(fdCount() <= before, "the server kept descriptors after the client left");
        Files.delete(huge);
    }

    static long fdCount() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}

package io.linuxaio.netty.http;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 9112's request checks: Host, the forms of the target, the limits of a request line and of its header fields. */
class RequestValidationTest extends ServedTreeTest {

    @TempDir
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        http = RawHttp.serve(root);
    }

    static int status(String raw) throws Exception {
        List<RawHttp.Response> rs = http.exchange(raw, false);
        return rs.isEmpty() ? -1 : rs.get(0).status();
    }

    @Test
    void http11NeedsExactlyOneValidHost() throws Exception {
        assertEquals(400, status("GET /a.txt HTTP/1.1\r\n\r\n"));
        assertEquals(400, status("GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
        assertEquals(200, status("GET /a.txt HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"));
        assertEquals(200, status("GET /a.txt HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"));
        assertEquals(200, status("GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n")); // empty: allowed (RFC 9112 3.2)
        assertEquals(200, status("GET /a.txt HTTP/1.0\r\n\r\n")); // HTTP/1.0 may leave it out
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "bad/host", "a@b", "x:80:90", "a\\b"})
    void anInvalidHostIs400(String host) throws Exception {
        assertEquals(400, status("GET /a.txt HTTP/1.1\r\nHost: " + host + "\r\n\r\n"), host);
    }

    @Test
    void absoluteFormTargetsAreAccepted() throws Exception {
        RawHttp.Response r = http.exchange("GET http://test/a.txt HTTP/1.1\r\nHost: test\r\n\r\n", false).get(0);
        assertEquals(200, r.status());
        assertEquals("hello", r.text());
        assertEquals(200, status("GET HTTP://test:80/a.txt?x=1 HTTP/1.1\r\nHost: test\r\n\r\n"));
        assertEquals(403, status("GET http://test HTTP/1.1\r\nHost: test\r\n\r\n")); // the root, without an index
        assertEquals(400, status("GET * HTTP/1.1\r\nHost: test\r\n\r\n"));
        assertEquals(400, status("GET ftp://test/a.txt HTTP/1.1\r\nHost: test\r\n\r\n"));
    }

    @Test
    void aTargetOfAnotherFormEndsTheConnection() throws Exception {
        try (java.net.Socket s = http.connect()) {
            s.getOutputStream().write(("GET * HTTP/1.1\r\nHost: test\r\n\r\n" + RawHttp.request("GET", "/a.txt"))
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertEquals(400, RawHttp.read(s.getInputStream(), false).status());
            assertEquals(null, RawHttp.read(s.getInputStream(), false), "the request after it was answered");
        }
    }

    @Test
    void requestLinesOf8KiBAndHeaderBlocksOf16KiBAreRead() throws Exception {
        String longName = "/" + "x".repeat(8000);
        assertEquals(404, status(RawHttp.request("GET", longName)));
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            headers.append("X-H").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        }
        assertEquals(200, status("GET /a.txt HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n"));
    }

    @Test
    void longerOnesAre414And431() throws Exception {
        assertEquals(414, status(RawHttp.request("GET", "/" + "x".repeat(9000))));
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            headers.append("X-H").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        }
        assertEquals(431, status("GET /a.txt HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n"));
    }

    @Test
    void theLimitsAreConfigurable() throws Exception {
        var small = new HttpFileServer.Options(100, 200, HttpTimeouts.DEFAULT_HEADER, HttpTimeouts.DEFAULT_KEEP_ALIVE,
                HttpTimeouts.DEFAULT_SEND);
        try (RawHttp strict = RawHttp.serve(root, b -> b, small)) {
            assertEquals(200, strict.get("/a.txt").status());
            assertEquals(414, strict.get("/" + "x".repeat(150)).status());
            assertEquals(431, strict.get("/a.txt", "X-Big: " + "v".repeat(300)).status());
        }
    }
}

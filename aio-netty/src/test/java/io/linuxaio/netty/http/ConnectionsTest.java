package io.linuxaio.netty.http;

import io.linuxaio.testing.TestFiles;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keep-alive for HTTP/1.0, half-closed clients, long pipelines, clients that do not read, resets. */
class ConnectionsTest extends ServedTreeTest {

    @TempDir
    static Path root;
    static byte[] big;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        for (int i = 0; i < 8; i++) {
            Files.writeString(root.resolve("f" + i + ".txt"), "file " + i);
        }
        big = TestFiles.random(1 << 20, 3);
        TestFiles.file(root, "big.bin", big);
        http = RawHttp.serve(root);
    }

    @Test
    void anHttp10ClientAskingForKeepAliveIsToldAndKeptAlive() throws Exception {
        try (Socket s = http.connect()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                RawHttp.Response r = RawHttp.read(in, false);
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("connection"));
                assertEquals("hello", r.text());
            }
            out.write("GET /a.txt HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response last = RawHttp.read(in, false);
            assertEquals("close", last.header("connection"));
            assertNull(RawHttp.read(in, false), "an HTTP/1.0 request without keep-alive ends the connection");
        }
        // HTTP/1.1 keeps the connection without saying so
        RawHttp.Response r = http.get("/a.txt");
        assertNull(r.header("connection"));
    }

    @Test
    void requestsFollowedByAHalfCloseAreStillAnswered() throws Exception {
        for (int i = 0; i < 8; i++) {
            // a file not opened yet: its answer comes after the blocking pool opened it, long after the FIN
            List<RawHttp.Response> rs = http.exchange(RawHttp.request("GET", "/f" + i + ".txt")
                    + RawHttp.request("GET", "/big.bin", "Range: bytes=0-99"), false);
            assertEquals(2, rs.size(), "request " + i);
            assertEquals("file " + i, rs.get(0).text());
            assertEquals(206, rs.get(1).status());
        }
    }

    @Test
    void longPipelinesAreAnsweredInOrder() throws Exception {
        StringBuilder sb = new StringBuilder();
        int n = 1000;
        for (int i = 0; i < n; i++) {
            sb.append(RawHttp.request("GET", "/f" + (i % 8) + ".txt"));
        }
        List<RawHttp.Response> rs = http.exchange(sb.toString(), false);
        assertEquals(n, rs.size());
        for (int i = 0; i < n; i++) {
            assertEquals("file " + (i % 8), rs.get(i).text(), "response " + i);
        }
    }

    @Test
    void aClientThatPipelinesWithoutReadingIsHeldBackThenServed() throws Exception {
        try (Socket s = http.connect()) {
            OutputStream out = s.getOutputStream();
            int n = 64; // 64 MiB of responses: more than the socket buffers hold
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        out.write(RawHttp.request("GET", "/big.bin").getBytes(StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300); // the server is stuck on the first response: the others wait, reading paused
            InputStream in = s.getInputStream();
            for (int i = 0; i < n; i++) {
                RawHttp.Response r = RawHttp.read(in, false);
                assertEquals(200, r.status(), "response " + i);
                assertArrayEquals(big, r.body(), "response " + i);
            }
            writer.join();
        }
    }

    @Test
    void resetsMidResponseAreNotWarnings() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 20; i++) {
                try (Socket s = http.connect()) {
                    s.setSoLinger(true, 0); // close() sends a RST
                    s.getOutputStream().write(RawHttp.request("GET", "/big.bin").getBytes(StandardCharsets.ISO_8859_1));
                    s.getInputStream().readNBytes(10_000);
                } catch (SocketException e) {
                    // the server may be quicker
                }
            }
            assertEquals(200, http.get("/a.txt").status());
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertFalse(log.contains("WARN"), log);
    }

    @Test
    void exceptionCaughtClosesTheChannel() throws Exception {
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).contexts(ctx -> null).build();
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertFalse(ch.isOpen());
        EmbeddedChannel other = new EmbeddedChannel(handler);
        other.pipeline().fireExceptionCaught(new IllegalStateException("a bug elsewhere"));
        assertFalse(other.isOpen());
        assertTrue(handler.isSharable());
    }
}

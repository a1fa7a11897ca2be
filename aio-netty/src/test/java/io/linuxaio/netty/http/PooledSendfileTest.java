package io.linuxaio.netty.http;

import io.linuxaio.testing.PageCache;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bodies that are not cached tails go out with sendfile made on the blocking pool ({@link PooledSendfile}):
 * no byte is read through AIO, the bytes are the file's, whole, to a client that reads slowly, and a client
 * that stops reading is cut off by the send timeout with the transfer's descriptor closed (the leak check
 * after the class counts descriptors).
 */
class PooledSendfileTest extends ServedTreeTest {

    static final Duration SEND = Duration.ofMillis(700);
    static final int SIZE = 24 * 1024 * 1024 + 321;

    @TempDir
    static Path root;
    static byte[] content;

    @BeforeAll
    static void start() throws Exception {
        content = TestFiles.random(SIZE, 41);
        TestFiles.file(root, "big.bin", content);
        http = RawHttp.serve(root, b -> b, HttpFileServer.Options.DEFAULT.withTimeouts(Duration.ofSeconds(30),
                Duration.ofSeconds(30), SEND));
    }

    /** Reads a response's head; its status line. */
    private static String skipHead(InputStream in) throws java.io.IOException {
        String status = RawHttp.line(in);
        for (String l = RawHttp.line(in); l != null && !l.isEmpty(); l = RawHttp.line(in)) {
            // a header
        }
        return status;
    }

    private static long bytesReadThroughAio() {
        return http.aio.metrics().bytesRead();
    }

    @Test
    void aColdFileGoesOutWholeWithoutAnAioRead() throws Exception {
        PageCache.evict(TestFiles.file(root, "cold.bin", content));
        long before = bytesReadThroughAio();
        RawHttp.Response r = http.get("/cold.bin");
        assertEquals(200, r.status());
        assertArrayEquals(content, r.body());
        assertEquals(before, bytesReadThroughAio(), "the body was read through AIO");
    }

    @Test
    void aRangeShortOfTheEndAndOneLongerThanACallAreTheFilesBytes() throws Exception {
        long before = bytesReadThroughAio();
        RawHttp.Response small = http.get("/big.bin", "Range: bytes=1000-1999");
        assertEquals(206, small.status());
        assertArrayEquals(Arrays.copyOfRange(content, 1000, 2000), small.body());
        int from = 12345;
        int to = from + (int) PooledSendfile.CALL_BYTES * 3 + 17;
        RawHttp.Response large = http.get("/big.bin", "Range: bytes=" + from + "-" + (to - 1));
        assertEquals(206, large.status());
        assertArrayEquals(Arrays.copyOfRange(content, from, to), large.body());
        assertEquals(before, bytesReadThroughAio());
    }

    @Test
    void pipelinedRequestsGetTheirBodiesInOrder() throws Exception {
        PageCache.evict(TestFiles.file(root, "pipelined.bin", content)); // a file of its own: no socket holds its pages
        String one = RawHttp.request("GET", "/pipelined.bin", "Range: bytes=0-99999");
        String two = RawHttp.request("GET", "/pipelined.bin", "Range: bytes=5000000-5299999");
        List<RawHttp.Response> rs = http.exchange(one + two + one, false);
        assertEquals(3, rs.size());
        assertArrayEquals(Arrays.copyOfRange(content, 0, 100_000), rs.get(0).body());
        assertArrayEquals(Arrays.copyOfRange(content, 5_000_000, 5_300_000), rs.get(1).body());
        assertArrayEquals(Arrays.copyOfRange(content, 0, 100_000), rs.get(2).body());
    }

    @Test
    void aSlowReaderGetsEveryByte() throws Exception {
        PageCache.evict(TestFiles.file(root, "slow.bin", content));
        try (Socket s = http.connect()) {
            s.setReceiveBufferSize(16 * 1024);
            s.getOutputStream().write(RawHttp.request("GET", "/slow.bin").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            assertTrue(skipHead(in).startsWith("HTTP/1.1 200"));
            byte[] body = new byte[SIZE];
            int got = 0;
            int reads = 0;
            while (got < SIZE) {
                int n = in.read(body, got, Math.min(65536, SIZE - got));
                assertTrue(n > 0, "the body ended at " + got);
                got += n;
                if (++reads % 32 == 0 && got < 2 << 20) {
                    Thread.sleep(2); // the socket's buffer fills: the transfer waits for room with a poll
                }
            }
            assertArrayEquals(content, body);
        }
    }

    @Test
    void aClientThatStopsReadingIsCutOffByTheSendTimeoutAndOthersAreServed() throws Exception {
        try (Socket s = http.connect()) {
            s.setReceiveBufferSize(16 * 1024);
            s.getOutputStream().write(RawHttp.request("GET", "/big.bin").getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(SEND.toMillis() * 3); // reads nothing meanwhile: the transfer waits for room, then times out
            assertArrayEquals(Arrays.copyOfRange(content, 0, 1000), http.get("/big.bin", "Range: bytes=0-999").body());
            long received = 0;
            long t0 = System.nanoTime();
            try {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[65536];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    received += n;
                }
            } catch (SocketException reset) {
                // a reset ends it too
            }
            assertTrue(received < SIZE, "the stalled client got the whole body: " + received);
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "the connection was not closed");
        }
    }

    @Test
    void aFileThatShrinksDuringTheBodyEndsTheConnection() throws Exception {
        Path p = TestFiles.file(root, "shrinks.bin", content);
        PageCache.evict(p);
        try (Socket s = http.connect()) {
            s.setReceiveBufferSize(16 * 1024);
            s.getOutputStream().write(RawHttp.request("GET", "/shrinks.bin").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            assertTrue(skipHead(in).startsWith("HTTP/1.1 200"));
            byte[] first = in.readNBytes(4096);
            assertArrayEquals(Arrays.copyOfRange(content, 0, 4096), first);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(8L << 20);
            }
            long received = first.length;
            try {
                byte[] buf = new byte[65536];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    received += n;
                }
            } catch (SocketException reset) {
                // a reset ends it too
            }
            assertTrue(received < SIZE, "the body went on past the file's new end: " + received);
        }
        // the server goes on serving
        assertArrayEquals(Arrays.copyOfRange(content, 0, 1000), http.get("/big.bin", "Range: bytes=0-999").body());
    }
}

package io.linuxaio.netty.http;

import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slow clients are cut off by nginx's three timeouts (short ones here), and never delay the others. */
class TimeoutsTest extends ServedTreeTest {

    static final Duration HEADER = Duration.ofMillis(800);
    static final Duration KEEP_ALIVE = Duration.ofMillis(600);
    static final Duration SEND = Duration.ofMillis(700);

    @TempDir
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        TestFiles.file(root, "big.bin", TestFiles.random(32 << 20, 4));
        http = RawHttp.serve(root, b -> b, HttpFileServer.Options.DEFAULT.withTimeouts(HEADER, KEEP_ALIVE, SEND));
    }

    /** How long until the server ends the connection (reading discards what arrives). */
    static long millisUntilClosed(Socket s) throws IOException {
        long t0 = System.nanoTime();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[1 << 16];
        try {
            while (in.read(buf) >= 0) {
                // drain
            }
        } catch (SocketException e) {
            // a reset ends it too
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    @Test
    void headsTrickledAByteAtATimeAreCutOffWhileOthersAreServed() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                slow.add(http.connect());
            }
            byte[] head = RawHttp.request("GET", "/a.txt").getBytes(StandardCharsets.ISO_8859_1);
            long t0 = System.nanoTime();
            int sent = 0;
            boolean anyOpen = true;
            // a byte every 50 ms on every connection: the heads would take seconds; the server allows 800 ms
            while (anyOpen && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
                long served = System.nanoTime();
                assertEquals("hello", http.get("/a.txt").text());
                assertTrue(System.nanoTime() - served < TimeUnit.MILLISECONDS.toNanos(500), "a normal client waited");
                anyOpen = false;
                for (Socket s : slow) {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(head[sent % (head.length - 4)]);
                        out.flush();
                        anyOpen = true;
                    } catch (IOException closed) {
                        // cut off
                    }
                }
                sent++;
                Thread.sleep(50);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(!anyOpen, "slow connections were still open after " + millis + " ms");
            assertTrue(millis >= HEADER.toMillis(), "cut off after " + millis + " ms, before the timeout");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosed() throws Exception {
        try (Socket s = http.connect()) {
            s.getOutputStream().write(RawHttp.request("GET", "/a.txt").getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("hello", RawHttp.read(s.getInputStream(), false).text());
            long millis = millisUntilClosed(s);
            assertTrue(millis >= KEEP_ALIVE.toMillis() - 50 && millis < KEEP_ALIVE.toMillis() + 2000, millis + " ms");
        }
    }

    @Test
    void aConnectionWithoutARequestIsClosedAfterTheHeaderTimeout() throws Exception {
        try (Socket s = http.connect()) {
            long millis = millisUntilClosed(s);
            assertTrue(millis >= HEADER.toMillis() - 50 && millis < HEADER.toMillis() + 2000, millis + " ms");
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedAfterTheSendTimeout() throws Exception {
        try (Socket s = http.connect()) {
            s.getOutputStream().write(RawHttp.request("GET", "/big.bin").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            in.readNBytes(1000); // the response has begun; now the client reads nothing
            Thread.sleep(SEND.toMillis() * 3);
            long got = 0;
            byte[] buf = new byte[1 << 16];
            try {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    got += n;
                }
            } catch (SocketException e) {
                // reset
            }
            assertTrue(got < (32 << 20) - 1000, "the whole body arrived: the server waited for the client");
        }
        // the server itself is fine
        assertEquals("hello", http.get("/a.txt").text());
    }
}

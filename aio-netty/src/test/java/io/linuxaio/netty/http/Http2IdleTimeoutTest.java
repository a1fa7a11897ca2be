package io.linuxaio.netty.http;

import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The keep-alive timeout of an HTTP/2 connection (short here): one with no open stream gets GOAWAY and is closed
 * once it has been idle that long, whether it came by prior knowledge or by {@code Upgrade: h2c}, and whether it
 * ever had a stream; a download that lasts several timeouts on another connection is served whole meanwhile.
 * The client is a raw socket speaking just enough HTTP/2.
 */
class Http2IdleTimeoutTest extends ServedTreeTest {

    static final Duration KEEP_ALIVE = Duration.ofMillis(500);
    static final int BIG = 32 << 20;

    @TempDir
    static Path root;
    static byte[] big;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        big = TestFiles.random(BIG, 7);
        TestFiles.file(root, "big.bin", big);
        http = RawHttp.serve(root, b -> b, HttpFileServer.Options.DEFAULT
                .withTimeouts(Duration.ofSeconds(5), KEEP_ALIVE, Duration.ofSeconds(5)).withHttp2(true));
    }

    @Test
    void aConnectionWithoutStreamsGetsGoAwayAfterTheIdleTimeoutWhileASlowDownloadElsewhereGoesOn() throws Exception {
        CompletableFuture<Long> download = CompletableFuture.supplyAsync(() -> {
            try (H2 h2 = H2.priorKnowledge(http.connect(), true)) {
                long t0 = System.nanoTime();
                h2.get(1, "/big.bin");
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long received = h2.body(1, sha, 4); // 64 KiB every 4 ms at most: about 2 s, several idle timeouts
                assertEquals(BIG, received);
                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(big), sha.digest(), "the body");
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (H2 h2 = H2.priorKnowledge(http.connect(), false)) {
            h2.get(1, "/a.txt");
            assertEquals(5, h2.body(1, null, 0));
            Thread.sleep(KEEP_ALIVE.toMillis() * 3 / 5); // idle, but not for long enough: the next stream is served
            h2.get(3, "/a.txt");
            assertEquals(5, h2.body(3, null, 0));
            long idleMillis = h2.untilGoAwayAndClose(3); // timed from the last stream's end
            assertTrue(idleMillis >= KEEP_ALIVE.toMillis() - 100, "closed after " + idleMillis + " ms idle");
            assertTrue(idleMillis < KEEP_ALIVE.toMillis() + 3000, "closed after " + idleMillis + " ms idle");
        }
        long tookMillis = await(download, "the slow download", Duration.ofSeconds(60));
        assertTrue(tookMillis > 2 * KEEP_ALIVE.toMillis(), "the download took " + tookMillis + " ms only");
    }

    @Test
    void aConnectionThatNeverOpensAStreamIsClosedToo() throws Exception {
        try (H2 h2 = H2.priorKnowledge(http.connect(), false)) {
            long idleMillis = h2.untilGoAwayAndClose(0);
            assertTrue(idleMillis >= KEEP_ALIVE.toMillis() - 100, "closed after " + idleMillis + " ms");
            assertTrue(idleMillis < KEEP_ALIVE.toMillis() + 3000, "closed after " + idleMillis + " ms");
        }
    }

    @Test
    void anUpgradedConnectionIsClosedOnceItsFirstStreamIsAnsweredAndTheTimeoutPassed() throws Exception {
        Socket s = http.connect();
        OutputStream out = s.getOutputStream();
        out.write(("GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: \r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.readUnsignedByte());
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
        try (H2 h2 = new H2(s, in, false)) {
            assertEquals(5, h2.body(1, null, 0), "the upgrade request's answer on stream 1");
            long idleMillis = h2.untilGoAwayAndClose(1);
            assertTrue(idleMillis >= KEEP_ALIVE.toMillis() - 100, "closed after " + idleMillis + " ms idle");
            assertTrue(idleMillis < KEEP_ALIVE.toMillis() + 3000, "closed after " + idleMillis + " ms idle");
        }
    }

    /** A client of one HTTP/2 connection over a blocking socket: frames written and read as they are. */
    static final class H2 implements AutoCloseable {
        static final int DATA = 0;
        static final int HEADERS = 1;
        static final int SETTINGS = 4;
        static final int GOAWAY = 7;
        static final int WINDOW_UPDATE = 8;
        static final int END_STREAM = 1;
        static final int MAX_WINDOW = Integer.MAX_VALUE;

        final Socket socket;
        final DataInputStream in;
        final OutputStream out;

        H2(Socket socket, DataInputStream in, boolean wideWindows) throws IOException {
            this.socket = socket;
            this.in = in;
            this.out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (wideWindows) { // SETTINGS_INITIAL_WINDOW_SIZE, and the connection's window as wide
                frame(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 4).putInt(MAX_WINDOW).array());
                frame(WINDOW_UPDATE, 0, 0, ByteBuffer.allocate(4).putInt(MAX_WINDOW - 65535).array());
            } else {
                frame(SETTINGS, 0, 0, new byte[0]);
            }
            out.flush();
        }

        static H2 priorKnowledge(Socket s, boolean wideWindows) throws IOException {
            return new H2(s, new DataInputStream(s.getInputStream()), wideWindows);
        }

        void frame(int type, int flags, int stream, byte[] payload) throws IOException {
            out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                    (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
            out.write(payload);
        }

        /** A GET on {@code stream}, its fields coded with HPACK's static table and plain literals. */
        void get(int stream, String path) throws IOException {
            byte[] p = path.getBytes(StandardCharsets.ISO_8859_1);
            byte[] authority = "127.0.0.1".getBytes(StandardCharsets.ISO_8859_1);
            ByteBuffer b = ByteBuffer.allocate(6 + p.length + authority.length);
            b.put((byte) 0x82).put((byte) 0x86); // :method GET, :scheme http
            b.put((byte) 0x04).put((byte) p.length).put(p); // :path, a literal not indexed
            b.put((byte) 0x01).put((byte) authority.length).put(authority); // :authority
            frame(HEADERS, END_STREAM | 4, stream, b.array()); // END_HEADERS
            out.flush();
        }

        /**
         * Reads until {@code stream} ends and returns the bytes of its DATA frames (into {@code sha} if given),
         * pausing {@code pauseMillis} after each 64 KiB to be a slow client; answers SETTINGS, fails on GOAWAY.
         */
        long body(int stream, MessageDigest sha, int pauseMillis) throws IOException, InterruptedException {
            long received = 0;
            long sincePause = 0;
            while (true) {
                int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int id = in.readInt() & MAX_WINDOW;
                byte[] payload = in.readNBytes(length);
                if (type == SETTINGS && (flags & 1) == 0) {
                    frame(SETTINGS, 1, 0, new byte[0]);
                    out.flush();
                }
                assertTrue(type != GOAWAY, "GOAWAY while stream " + stream + " was open, after " + received + " bytes: "
                        + new String(payload, StandardCharsets.ISO_8859_1));
                if (id == stream && type == DATA) {
                    received += length;
                    if (sha != null) {
                        sha.update(payload);
                    }
                    sincePause += length;
                    if (pauseMillis > 0 && sincePause >= 64 * 1024) {
                        sincePause = 0;
                        Thread.sleep(pauseMillis); // pacing a slow reader, not waiting for a completion
                    }
                }
                if (id == stream && (type == DATA || type == HEADERS) && (flags & END_STREAM) != 0) {
                    return received;
                }
            }
        }

        /**
         * Reads until the server closes the connection; asserts that it sent GOAWAY (no error, last stream
         * {@code lastStream}) first and returns the milliseconds waited.
         */
        long untilGoAwayAndClose(int lastStream) throws IOException {
            long t0 = System.nanoTime();
            boolean goAway = false;
            try {
                while (true) {
                    int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    in.readUnsignedByte();
                    in.readInt();
                    ByteBuffer payload = ByteBuffer.wrap(in.readNBytes(length));
                    if (type == SETTINGS) {
                        continue; // acked, or ours to leave unanswered: the server waits for no ack
                    }
                    assertEquals(GOAWAY, type, "a frame on an idle connection");
                    assertEquals(lastStream, payload.getInt() & MAX_WINDOW, "GOAWAY's last stream");
                    assertEquals(0, payload.getInt(), "GOAWAY's error: NO_ERROR");
                    goAway = true;
                }
            } catch (EOFException | SocketException closed) {
                // the server closed the connection
            }
            assertTrue(goAway, "GOAWAY before the close");
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

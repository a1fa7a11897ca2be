package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link HttpFileServer} with cleartext HTTP/2: the JDK's {@code HttpClient} (which upgrades from HTTP/1.1 with
 * {@code Upgrade: h2c}) and curl with prior knowledge get whole files (compared by SHA-256), a range, a 304, a
 * 404, several streams at once on one connection, and a stream reset mid-download leaves nothing behind.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class Http2FileServingTest {

    static {
        LeakRecorder.install();
    }

    static final int MIB = 1024 * 1024;

    @TempDir
    static Path root;
    static EventLoopGroup group;
    static EpollAio aio;
    static Channel server;
    static int port;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        write(root.resolve("big.bin"), 9 * MIB + 321, 1);
        write(root.resolve("huge.bin"), 64 * MIB, 2);
        for (int i = 0; i < 8; i++) {
            write(root.resolve("small" + i + ".txt"), 1000 + i, 10 + i);
        }
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        aio = EpollAio.create(group);
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).build();
        server = HttpFileServer.bind(group, handler, "127.0.0.1", 0, HttpFileServer.Options.DEFAULT.withHttp2(true));
        port = ((InetSocketAddress) server.localAddress()).getPort();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close().sync();
        }
        if (aio != null) {
            aio.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    static void write(Path p, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Files.write(p, b);
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String sha256(Path p) throws Exception {
        return sha256(Files.readAllBytes(p));
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void theJdkClientGetsWholeFilesRangesAndConditionalsOverHttp2() throws Exception {
        HttpResponse<byte[]> whole = get("/big.bin");
        assertEquals(200, whole.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, whole.version());
        assertEquals(sha256(root.resolve("big.bin")), sha256(whole.body()));

        HttpResponse<byte[]> range = get("/big.bin", "Range", "bytes=1000-200999");
        assertEquals(206, range.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, range.version());
        assertEquals("bytes 1000-200999/" + Files.size(root.resolve("big.bin")), range.headers().firstValue("content-range").orElseThrow());
        byte[] all = Files.readAllBytes(root.resolve("big.bin"));
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 1000, 201000), range.body());

        String etag = whole.headers().firstValue("etag").orElseThrow();
        HttpResponse<byte[]> notModified = get("/big.bin", "If-None-Match", etag);
        assertEquals(304, notModified.statusCode());
        assertEquals(0, notModified.body().length);

        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(uri("/big.bin"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, head.statusCode());
        assertEquals(String.valueOf(all.length), head.headers().firstValue("content-length").orElseThrow());
        assertEquals(0, head.body().length);

        HttpResponse<byte[]> parts = get("/small4.txt", "Range", "bytes=0-9,20-29");
        assertEquals(206, parts.statusCode());
        assertTrue(parts.headers().firstValue("content-type").orElseThrow().startsWith("multipart/byteranges; boundary="));
        String multipart = new String(parts.body(), StandardCharsets.ISO_8859_1);
        assertTrue(multipart.contains("Content-Range: bytes 0-9/1004") && multipart.contains("Content-Range: bytes 20-29/1004"), multipart);
        assertEquals(String.valueOf(parts.body().length), parts.headers().firstValue("content-length").orElseThrow());

        HttpResponse<byte[]> tooLarge = get("/big.bin", "X-Large", "x".repeat(40 * 1024));
        assertEquals(431, tooLarge.statusCode(), "header fields past Options.maxHeaderBlock");

        HttpResponse<byte[]> missing = get("/missing.txt");
        assertEquals(404, missing.statusCode());
        for (HttpResponse<byte[]> r : List.of(whole, range, notModified, missing)) {
            for (String h : List.of("connection", "keep-alive", "transfer-encoding")) {
                assertFalse(r.headers().firstValue(h).isPresent(), h + " in " + r.headers().map());
            }
        }
    }

    @Test
    void concurrentStreamsOnOneConnectionEachGetTheirFile() throws Exception {
        get("/small0.txt"); // the upgrade: the requests below are streams of that connection
        List<String> paths = new ArrayList<>(List.of("/big.bin"));
        for (int i = 0; i < 8; i++) {
            paths.add("/small" + i + ".txt");
        }
        List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
        for (String p : paths) {
            all.add(client.sendAsync(HttpRequest.newBuilder(uri(p)).build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (int i = 0; i < paths.size(); i++) {
            HttpResponse<byte[]> r = await(all.get(i), paths.get(i), Duration.ofSeconds(60));
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            assertEquals(sha256(root.resolve(paths.get(i).substring(1))), sha256(r.body()), paths.get(i));
        }
    }

    @Test
    void aStreamResetMidDownloadReleasesItsBuffersAndTheConnectionGoesOn() throws Exception {
        get("/small1.txt");
        for (int i = 0; i < 3; i++) {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri("/huge.bin")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            try (InputStream in = r.body()) {
                assertEquals(256 * 1024, in.readNBytes(256 * 1024).length); // closing it resets the stream
            }
        }
        HttpResponse<byte[]> after = get("/small2.txt");
        assertEquals(HttpClient.Version.HTTP_2, after.version());
        assertEquals(sha256(root.resolve("small2.txt")), sha256(after.body()));
        // the transfers of the reset streams end: their buffers are released (checked after each test)
        await(group.next().submit(() -> null), "a turn of the loop", Duration.ofSeconds(10));
    }

    static boolean curlHasHttp2() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 && out.contains("HTTP2");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs curl with prior knowledge; returns its stderr (the -v trace) and stdout joined. */
    static String curl(String... args) throws Exception {
        return curlWith("--http2-prior-knowledge", args);
    }

    static String curlWith(String http2, String... args) throws Exception {
        assumeTrue(curlHasHttp2(), "curl with HTTP/2 is not installed");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", http2, "--max-time", "60"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "curl ended");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void curlWithPriorKnowledgeGetsFilesWithoutConnectionHeaders(@TempDir Path out) throws Exception {
        Path body = out.resolve("big.bin");
        String trace = curl("-v", "-o", body.toString(), uri("/big.bin").toString());
        assertTrue(trace.contains("< HTTP/2 200"), trace);
        assertEquals(sha256(root.resolve("big.bin")), sha256(body));
        for (String line : trace.split("\r?\n")) {
            if (line.startsWith("< ")) {
                String h = line.substring(2).toLowerCase();
                assertFalse(h.startsWith("connection:") || h.startsWith("keep-alive:") || h.startsWith("transfer-encoding:"), line);
            }
        }

        String range = curl("-v", "-o", out.resolve("r").toString(), "-H", "Range: bytes=5-14", uri("/small3.txt").toString());
        assertTrue(range.contains("< HTTP/2 206"), range);
        assertTrue(range.toLowerCase().contains("< content-range: bytes 5-14/1003"), range);
        byte[] small = Files.readAllBytes(root.resolve("small3.txt"));
        assertArrayEquals(java.util.Arrays.copyOfRange(small, 5, 15), Files.readAllBytes(out.resolve("r")));

        String etag = get("/small3.txt").headers().firstValue("etag").orElseThrow();
        assertEquals("304", curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: " + etag, uri("/small3.txt").toString()));
        assertEquals("404", curl("-o", "/dev/null", "-w", "%{http_code}", uri("/nothing").toString()));
    }

    /**
     * Through {@code Upgrade: h2c}: Debian 12's curl (7.88.1) fails every request after the first on a
     * prior-knowledge connection it reuses ("Error in the HTTP2 framing layer") without sending it.
     */
    @Test
    void curlMultiplexesParallelTransfersOnOneUpgradedConnection(@TempDir Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("-Z", "--no-progress-meter", "--parallel-max", "9",
                "-w", "%{http_version} %{num_connects} %{filename_effective}\\n"));
        List<String> names = new ArrayList<>(List.of("big.bin"));
        for (int i = 0; i < 8; i++) {
            names.add("small" + i + ".txt");
        }
        for (String n : names) {
            args.addAll(List.of("-o", out.resolve(n).toString(), uri("/" + n).toString()));
        }
        String result = curlWith("--http2", args.toArray(String[]::new));
        int connects = 0;
        int lines = 0;
        for (String line : result.split("\r?\n")) {
            String[] f = line.strip().split(" ");
            if (f.length != 3 || !f[2].startsWith(out.toString())) {
                continue; // the parallel progress meter
            }
            lines++;
            assertEquals("2", f[0], line);
            connects += Integer.parseInt(f[1]);
        }
        assertEquals(names.size(), lines, result);
        assertEquals(1, connects, result);
        for (String n : names) {
            assertEquals(sha256(root.resolve(n)), sha256(out.resolve(n)), n);
        }
    }

    /**
     * A client that opens no window past the first 64 KiB holds the transfer back: the server reads a bounded
     * read-ahead of the 64 MiB file, not the file; resetting the stream then ends its reads.
     */
    @Test
    void aStreamWhoseWindowIsShutReadsNoFurtherAndItsResetEndsTheTransfer() throws Exception {
        io.linuxaio.AioContext context = aio.context((io.netty.channel.EventLoop) server.eventLoop());
        long before = await(server.eventLoop().submit(() -> context.metrics().bytesRead()), "metrics", Duration.ofSeconds(10));
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        CompletableFuture<String> status = new CompletableFuture<>();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(65535)).build();
        Http2FrameStream[] stream = new Http2FrameStream[1];
        Channel ch = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(codec, new Http2ChannelDuplexHandler() {
                            @Override
                            protected void handlerAdded0(ChannelHandlerContext ctx) {
                                stream[0] = newStream();
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2HeadersFrame h) {
                                    status.complete(h.headers().status().toString());
                                } else if (msg instanceof Http2DataFrame d) {
                                    received.addAndGet(d.content().readableBytes()); // no WINDOW_UPDATE: never consumed
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                }).connect("127.0.0.1", port).sync().channel();
        try {
            Http2Headers headers = new DefaultHttp2Headers().method("GET").path("/huge.bin").scheme("http")
                    .authority("127.0.0.1:" + port);
            await(ch.eventLoop().submit(() -> ch.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true).stream(stream[0]))),
                    "the request", Duration.ofSeconds(10));
            assertEquals("200", await(status, "the response head", Duration.ofSeconds(30)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.get() < 65535 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the window's worth arrives
            }
            assertEquals(65535, received.get());
            Thread.sleep(500); // what could still be read ahead
            long read = await(server.eventLoop().submit(() -> context.metrics().bytesRead()), "metrics", Duration.ofSeconds(10)) - before;
            assertTrue(read < 1024 * 1024, read + " bytes read for a client that took 64 KiB");
            assertEquals(65535, received.get(), "nothing past the window");

            await(ch.eventLoop().submit(() -> ch.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream[0]))),
                    "the reset", Duration.ofSeconds(10));
            while (await(server.eventLoop().submit(() -> context.metrics().inFlight()), "metrics", Duration.ofSeconds(10)) > 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0L, (long) await(server.eventLoop().submit(() -> context.metrics().inFlight()), "metrics", Duration.ofSeconds(10)));
        } finally {
            ch.close().sync();
        }
    }

    /**
     * A request whose header fields pass the limit (32 KiB by default) gets a complete 431 and no RST_STREAM after
     * it. The frames are written and read on a plain socket: HEADERS and CONTINUATION carrying a literal 36 KiB
     * field (past 40 KiB, Netty's decoder gives up on the connection instead), then a PING, whose ACK comes after
     * anything the server sent for the stream. With Netty's own codec a reset followed the 431, and the JDK's
     * client failed the request now and then.
     */
    @Test
    void anOversizedHeaderBlockGetsA431AndNoReset() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(out, 0x4, 0, 0, new byte[0]); // SETTINGS, empty
            java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
            block.write(0x82); // :method GET (static table 2)
            block.write(0x86); // :scheme http (static table 6)
            literal(block, 0x04, "/big.bin"); // :path, name from static table 4
            literal(block, 0x01, "127.0.0.1:" + port); // :authority, static table 1
            block.write(0x00); // a literal field with a new name
            hpackString(block, "x-large");
            hpackString(block, "x".repeat(36 * 1024));
            byte[] fields = block.toByteArray();
            for (int at = 0; at < fields.length; at += 16384) { // HEADERS, then CONTINUATIONs: frames of at most 16 KiB
                int n = Math.min(16384, fields.length - at);
                int flags = (at + n == fields.length ? 0x4 : 0) | (at == 0 ? 0x1 : 0); // END_HEADERS last; END_STREAM
                frame(out, at == 0 ? 0x1 : 0x9, flags, 1, java.util.Arrays.copyOfRange(fields, at, at + n));
            }
            out.flush();
            boolean answered = false;
            List<String> seen = new ArrayList<>();
            for (;;) {
                int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                seen.add("type " + type + " flags " + flags + " stream " + stream + " length " + length);
                assertFalse(type == 0x7, "GOAWAY: " + seen);
                assertFalse(type == 0x3 && stream == 1, "a RST_STREAM followed: " + seen);
                if (type == 0x4 && (flags & 0x1) == 0) {
                    frame(out, 0x4, 0x1, 0, new byte[0]); // ACK the server's SETTINGS
                } else if (type == 0x1 && stream == 1) {
                    // ":status 431" is no static entry: a literal, its three digits in the clear (HPACK, RFC 7541)
                    assertTrue(new String(payload, StandardCharsets.ISO_8859_1).contains("431"), "not a 431: " + seen);
                    assertTrue((flags & 0x1) != 0, "the 431 did not end the stream: " + seen);
                    answered = true;
                    frame(out, 0x6, 0, 0, new byte[8]); // PING: its ACK comes after whatever followed the 431
                } else if (type == 0x6 && (flags & 0x1) != 0) {
                    break;
                }
                out.flush();
            }
            assertTrue(answered, seen.toString());
        }
    }

    private static void frame(java.io.DataOutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        out.writeByte(payload.length >>> 16);
        out.writeShort(payload.length & 0xffff);
        out.writeByte(type);
        out.writeByte(flags);
        out.writeInt(stream);
        out.write(payload);
    }

    /** A literal field without indexing whose name is the static table's entry {@code nameIndex} (below 15). */
    private static void literal(java.io.ByteArrayOutputStream block, int nameIndex, String value) {
        block.write(nameIndex);
        hpackString(block, value);
    }

    /** An HPACK string literal, not Huffman-coded: its length as a 7-bit-prefix integer, then its bytes. */
    private static void hpackString(java.io.ByteArrayOutputStream block, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        int n = b.length;
        if (n < 127) {
            block.write(n);
        } else {
            block.write(127);
            n -= 127;
            while (n >= 128) {
                block.write((n & 0x7f) | 0x80);
                n >>>= 7;
            }
            block.write(n);
        }
        block.write(b, 0, b.length);
    }
}

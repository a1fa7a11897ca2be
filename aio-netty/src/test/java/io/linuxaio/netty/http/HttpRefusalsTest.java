package io.linuxaio.netty.http;

import io.linuxaio.AioContext;
import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.linuxaio.testing.LeakCheck;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the file server refuses, and that refusing never stalls it: special files under the root answer
 * 404 at once (a FIFO is never opened blocking), and a loop whose AIO context cannot be created answers
 * 503 instead of leaving the connection without a response.
 */
@ExtendWith(LeakCheck.class)
class HttpRefusalsTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path root;

    /** The status line of one GET on a new connection. */
    private static String statusOf(int port, String path) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                line.append((char) c);
            }
            return line.toString().trim();
        }
    }

    @Test
    void aFifoUnderTheRootAnswers404AtOnceAndTheServerKeepsServing() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        Path fifo = root.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group)) {
            Channel server = HttpFileServer.bind(group, aio, root, "127.0.0.1", 0);
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                // more requests than the blocking pool has threads: none may park one
                for (int i = 0; i < 24; i++) {
                    assertEquals("HTTP/1.1 404 Not Found", statusOf(port, "/pipe"));
                }
                assertEquals("HTTP/1.1 200 OK", statusOf(port, "/a.txt"));
            });
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aLoopWithoutAContextAnswers503() throws Exception {
        Files.writeString(root.resolve("a.txt"), "hello");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        // more events than fs.aio-max-nr allows: io_setup answers EAGAIN on every try
        try (EpollAio aio = EpollAio.create(group, () -> AioContext.builder().queueDepth(1 << 20))) {
            // contexts made on first use (no bindAll, which would refuse to start the server)
            AioHttpFileHandler handler = new AioHttpFileHandler(root, aio);
            Channel server = HttpFileServer.bind(group, "127.0.0.1", 0, pipeline -> pipeline.addLast(handler));
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 3; i++) {
                    String status = statusOf(port, "/a.txt");
                    assertTrue(status.startsWith("HTTP/1.1 503"), status);
                }
            });
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

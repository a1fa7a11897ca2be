package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class ServeExampleTest {

    @TempDir
    Path dir;

    @Test
    void theServerAnswersAGet() throws Exception {
        Files.writeString(dir.resolve("hello.txt"), "hello from linux-aio");
        try (Serve.Server server = Serve.start(dir, "127.0.0.1", 0, 1);
             Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
            assertTrue(response.contains("content-type: text/plain; charset=utf-8"), response);
            assertTrue(response.endsWith("hello from linux-aio"), response);
        }
    }

    @Test
    void withHttp2APriorKnowledgeClientGetsTheServersSettings() throws Exception {
        Serve serve = new Serve();
        new picocli.CommandLine(serve).parseArgs(dir.toString(), "--http2");
        assertTrue(serve.http2);
        try (Serve.Server server = Serve.start(dir, "127.0.0.1", 0, 1, b -> b,
                io.linuxaio.netty.http.HttpFileServer.Options.DEFAULT.withHttp2(true));
             Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            byte[] head = s.getInputStream().readNBytes(9);
            assertEquals(9, head.length);
            assertEquals(4, head[3], "the first frame is SETTINGS"); // type
        }
    }

    @Test
    void aMissingDirectoryIsRefused() {
        assertThrows(java.io.IOException.class, () -> Serve.start(dir.resolve("nope"), "127.0.0.1", 0, 1));
    }

    @Test
    void itListensOnLoopbackUnlessToldOtherwise() {
        Serve serve = new Serve();
        new picocli.CommandLine(serve).parseArgs(dir.toString());
        assertEquals("127.0.0.1", serve.host);
    }

    /** The exit code and standard error of the command line {@code args}. */
    static Object[] run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return new Object[] {Serve.run(args), captured.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(err);
        }
    }

    static void assertOneLine(Object[] result, String expected) {
        assertNotEquals(0, result[0]);
        String err = (String) result[1];
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("serve: ") && err.contains(expected), err);
    }

    @Test
    void userErrorsAreOneLineAndANonZeroExit() throws Exception {
        assertOneLine(run(dir.resolve("nope").toString()), "no such file");
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        assertOneLine(run(file.toString()), "not a directory");
        assertOneLine(run(dir.toString(), "--port", "notaport"), "notaport");
        assertOneLine(run(dir.toString(), "--port", "70000"), "70000");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertOneLine(run(dir.toString(), "--port", String.valueOf(taken.getLocalPort())), "cannot listen on");
        }
    }
}

package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A user's mistakes in every example (a missing or unreadable file, a directory where a file is expected,
 * a port in use, a bad number) end with one line on stderr that names what is wrong, and a non-zero exit
 * code: no stack trace, and nothing the user had is touched.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class ExampleErrorsTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    /** Runs an example as its {@code main} does, with its messages captured. */
    static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ExampleSupport.commandLine(command).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** One line on stderr, with every fragment in it, no stack trace, and the exit code. */
    static void assertOneLine(Run run, int code, String... fragments) {
        String err = run.err().strip();
        assertEquals(code, run.code(), run.err() + run.out());
        assertEquals(1, err.lines().count(), "one line, not:\n" + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
    }

    static final int USER_ERROR = 1;
    static final int USAGE_ERROR = 2;

    @Test
    void cat() throws Exception {
        Path missing = dir.resolve("missing.txt");
        assertOneLine(run(new Cat(), "--no-progress", missing.toString()), USER_ERROR, missing + ": no such file");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Run run = run(new Cat(), "--no-progress", sub.toString());
        assertOneLine(run, USER_ERROR, sub + ": is a directory");
        assertEquals(run.err().indexOf(sub.toString()), run.err().lastIndexOf(sub.toString()), "the path once: " + run.err());
        assertOneLine(run(new Cat(), "--iodepth", "four", missing.toString()), USAGE_ERROR, "--iodepth", "four");
    }

    @Test
    void copy() throws Exception {
        Path src = Files.writeString(dir.resolve("src"), "source");
        Path missing = dir.resolve("missing");
        assertOneLine(run(new Copy(), "--no-progress", missing.toString(), dir.resolve("dst").toString()), USER_ERROR,
                missing + ": no such file");
        assertFalse(Files.exists(dir.resolve("dst")), "nothing is made when the source is missing");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertOneLine(run(new Copy(), "--no-progress", src.toString(), sub.toString()), USER_ERROR, sub + ": is a directory");
        assertTrue(Files.isDirectory(sub));
        assertOneLine(run(new Copy(), "--block-size", "lots", src.toString(), sub.toString()), USAGE_ERROR, "lots");
    }

    @Test
    void copyRefusesAnExistingDestinationUnlessToldToReplaceIt() throws Exception {
        Path src = Files.writeString(dir.resolve("src"), "new contents");
        Path dst = Files.writeString(dir.resolve("dst"), "precious");
        assertOneLine(run(new Copy(), "--no-progress", src.toString(), dst.toString()), USER_ERROR,
                dst + ": already exists", "--replace");
        assertEquals("precious", Files.readString(dst));
        Run replaced = run(new Copy(), "--no-progress", "--replace", src.toString(), dst.toString());
        assertEquals(0, replaced.code(), replaced.err() + replaced.out());
        assertEquals("new contents", Files.readString(dst));
    }

    @Test
    void journal() throws Exception {
        Path missingDir = dir.resolve("no-such-dir");
        assertOneLine(run(new Journal(), "--no-progress", "--records", "10", "--file", missingDir.resolve("j").toString()),
                USER_ERROR, missingDir.resolve("j") + ": no such file");
        assertFalse(Files.exists(missingDir));
        assertOneLine(run(new Journal(), "--producers", "many"), USAGE_ERROR, "--producers", "many");
    }

    @Test
    void tourAndRaw() throws Exception {
        Path missing = dir.resolve("missing");
        assertOneLine(run(new Tour(), "--no-progress", "--dir", missing.toString()), USER_ERROR, missing + ": no such file");
        Path file = Files.writeString(dir.resolve("file"), "not a directory");
        assertOneLine(run(new Raw(), "--dir", file.toString()), USER_ERROR, file + ": not a directory");
        assertEquals("not a directory", Files.readString(file));
        assertOneLine(run(new Tour(), "--size-mib", "big"), USAGE_ERROR, "--size-mib", "big");
    }

    @Test
    @Timeout(30)
    void serve() throws Exception {
        Path missing = dir.resolve("www");
        assertOneLine(run(new Serve(), missing.toString(), "--port", "0"), USER_ERROR, missing + ": no such file");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertOneLine(run(new Serve(), dir.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port), "--loops", "1"),
                    USER_ERROR, "127.0.0.1:" + port, "in use");
        }
        assertOneLine(run(new Serve(), dir.toString(), "--port", "70000"), USAGE_ERROR, "--port");
        assertOneLine(run(new Serve(), dir.toString(), "--port", "http"), USAGE_ERROR, "http");
    }

    @Test
    void pollDemo() {
        assertOneLine(run(new PollDemo(), "--no-such-option"), USAGE_ERROR, "--no-such-option");
    }

    @Test
    void anUnreadableFileIsOneLine() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file: no EACCES to provoke");
        Path secret = Files.writeString(dir.resolve("secret"), "secret");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
        assertOneLine(run(new Cat(), "--no-progress", secret.toString()), USER_ERROR, secret.toString());
        assertOneLine(run(new Copy(), "--no-progress", secret.toString(), dir.resolve("copy").toString()), USER_ERROR,
                secret.toString());
        assertOneLine(run(new Journal(), "--no-progress", "--records", "10", "--replace", "--file", secret.toString()),
                USER_ERROR, secret.toString());
        assertTrue(Files.exists(secret), "a file the journal could not open is not deleted");
    }
}

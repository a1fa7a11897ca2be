package io.linuxaio.examples;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every example's command line has: {@code --version}, and progress bars only on a terminal. */
@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class ExampleCommandLineTest {

    @TempDir
    Path dir;

    static Object command(String name) {
        return switch (name) {
            case "cat" -> new Cat();
            case "copy" -> new Copy();
            case "journal" -> new Journal();
            case "poll" -> new PollDemo();
            case "raw" -> new Raw();
            case "serve" -> new Serve();
            case "tour" -> new Tour();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"cat", "copy", "journal", "poll", "raw", "serve", "tour"})
    void versionPrintsTheProjectsVersion(String name) {
        StringWriter out = new StringWriter();
        int code = ExampleSupport.commandLine(command(name)).setOut(new PrintWriter(out, true)).execute("--version");
        assertEquals(0, code, out.toString());
        String first = out.toString().lines().findFirst().orElse("");
        assertTrue(first.matches(name + " \\(linux-aio examples\\) \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), first);
        assertEquals(ExampleVersion.version(), first.substring(first.lastIndexOf(' ') + 1));
    }

    @Test
    void noProgressBarWhenStderrIsNotATerminal() throws Exception {
        assertFalse(ExampleSupport.stderrIsTerminal(), "the tests' stderr is a pipe or a file");
        Path src = Files.write(dir.resolve("src"), new byte[3 << 20]);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        int code;
        StringWriter out = new StringWriter();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            // no --no-progress: the bar would be drawn, were stderr a terminal
            code = ExampleSupport.commandLine(new Copy()).setOut(new PrintWriter(out, true))
                    .execute(src.toString(), dir.resolve("dst").toString());
        } finally {
            System.setErr(err);
        }
        assertEquals(0, code, out.toString());
        String written = captured.toString(StandardCharsets.UTF_8);
        assertFalse(written.contains("\r") || written.contains("█") || written.contains("copy 100%")
                || written.contains("KiB/s"), written);
    }
}

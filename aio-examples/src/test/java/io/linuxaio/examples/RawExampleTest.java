package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.linuxaio.testing.LeakCheck.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class RawExampleTest {

    private static final String TEXT = "raw AIO test line 6f1c";

    @TempDir
    Path dir;

    private String run() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Raw()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("--text", TEXT, "--dir", dir.toString());
        assertEquals(0, code, out + "\n" + err);
        return out.toString();
    }

    @Test
    void walksThroughTheSystemCalls() throws Exception {
        String out = run();
        for (String step : List.of("io_setup(8, &ctx) = 0", "io_submit(ctx, 1, iocbpp) = 1",
                "io_getevents(ctx, 1, 1, events, {tv_sec = 5, tv_nsec = 0}) = 1", "io_destroy(")) {
            assertTrue(out.contains(step), step + " missing from\n" + out);
        }
        // the first read: the whole file, aio_data 0xcafe comes back in io_event.data
        assertTrue(out.contains("io_event.data = 0xcafe"), out);
        assertTrue(out.contains("io_event.res  = " + TEXT.length() + " (bytes read)"), out);
        assertTrue(out.contains("bytes read: \"" + TEXT + "\""), out);
        // the second read, from offset 6, reaped from the ring in user space
        assertTrue(out.contains("magic a10a10a1"), out);
        assertTrue(out.contains("io_event.data = 0xbeef"), out);
        assertTrue(out.contains("io_event.res  = " + (TEXT.length() - 6) + " (bytes read)"), out);
        assertTrue(out.contains("bytes read: \"" + TEXT.substring(6) + "\""), out);
        assertTrue(out.contains("the ring is empty again"), out);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count(), "the temporary file was left behind");
        }
    }

    @Test
    void closesEveryDescriptorItMade() {
        run(); // the first run may load classes and open what the JVM keeps for good
        List<String> before = openDescriptors();
        run();
        assertEquals(before, openDescriptors());
    }
}

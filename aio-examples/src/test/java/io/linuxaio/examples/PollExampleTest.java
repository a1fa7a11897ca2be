package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.linuxaio.testing.LeakCheck.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class PollExampleTest {

    private static String run() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new PollDemo()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute();
        assertEquals(0, code, out + "\n" + err);
        return out.toString();
    }

    @Test
    void reportsTheEventsOfEachDescriptorAndACancellationInTheKernel() {
        String out = run();
        assertTrue(out.contains("done: false"), out); // nothing was ready when the polls were submitted
        assertTrue(Pattern.compile("-> pipe: POLLIN\\b").matcher(out).find(), out);
        assertTrue(Pattern.compile("-> socket: POLLIN\\b").matcher(out).find(), out);
        assertTrue(Pattern.compile("-> socket: POLLOUT\\b").matcher(out).find(), out);
        assertTrue(Pattern.compile("-> eventfd: POLLIN\\b").matcher(out).find(), out);
        assertTrue(out.contains("cancel(true) -> true; poll cancelled in the kernel"), out);
        assertTrue(out.contains("requests in flight: 0, cancelled or failed: 1"), out);
        assertTrue(out.contains("a new poll on the same pipe still works: POLLIN"), out);
    }

    @Test
    void closesEveryDescriptorItMade() {
        run(); // the first run may load classes and open what the JVM keeps for good
        List<String> before = openDescriptors();
        run();
        assertEquals(before, openDescriptors());
    }
}

package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class TourExampleTest {

    @TempDir
    Path dir;

    @Test
    void theTourVerifiesEveryReadAndPrintsTheComparison() throws Exception {
        StringWriter text = new StringWriter();
        int code = new CommandLine(new Tour()).setOut(new PrintWriter(text))
                .execute("--size-mib", "16", "--seconds", "0.5", "--iodepth", "8", "--dir", dir.toString(), "--no-progress");
        String out = text.toString();
        assertEquals(0, code, out);
        Matcher aio = Pattern.compile("linux-aio \\(iodepth 8\\)\\s+(\\d+)\\s+\\S+\\s+\\S+\\s+\\S+\\s+all (\\d+)").matcher(out);
        assertTrue(aio.find(), out);
        assertTrue(Long.parseLong(aio.group(2)) > 0, out);
        assertTrue(Pattern.compile("FileChannel \\(8 threads\\)\\s+\\d+\\s+\\S+\\s+\\S+\\s+\\S+\\s+all \\d+").matcher(out).find(), out);
        assertTrue(out.contains("linux-aio / FileChannel IOPS"), out);
        assertTrue(out.contains("4 KiB random O_DIRECT reads") && out.contains("4 KiB random cached reads"), out);
        assertEquals(2, Pattern.compile("linux-aio / FileChannel IOPS").matcher(out).results().count(), out);
        assertTrue(Pattern.compile("CPU per read: \\d+\\.\\d+x").matcher(out).find(), out);
        assertTrue(out.contains("failed=0"), out);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the scratch file was left behind");
        }
    }

    @Test
    void badArgumentsAreRefused() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Tour()).setErr(new PrintWriter(err)).execute("--iodepth", "0");
        assertTrue(code != 0);
        assertTrue(err.toString().contains("must be positive"), err.toString());
    }
}

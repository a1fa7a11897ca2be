package io.linuxaio.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Short real runs of the virtual-thread benchmark: both engines read, and the reps' ratio is reported. */
class VirtualThreadsBenchTest {

    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        return new CommandLine(new VirtualThreadsBench()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    }

    @Test
    void alternatingRepsEndWithTheirMedianRatio() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(out, err, "--filename", dir.resolve("f").toString(), "--size", "1m", "--modes", "cached",
                "--threads", "8", "--seconds", "0.2", "--reps", "2");
        assertEquals(0, code, err::toString);
        String text = out.toString();
        // rep 1 runs linux-aio first, rep 2 FileChannel first
        assertTrue(text.indexOf("linux-aio") < text.indexOf("filechannel"), text);
        assertTrue(text.lastIndexOf("filechannel") < text.lastIndexOf("linux-aio     "), text);
        Matcher m = Pattern.compile("median (\\d+\\.\\d+)x of 2").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Double.parseDouble(m.group(1)) > 0, text);
    }

    @Test
    void anUnknownModeIsRefusedByName() {
        StringWriter err = new StringWriter();
        int code = run(new StringWriter(), err, "--filename", dir.resolve("f").toString(), "--modes", "cold");
        assertEquals(2, code, err::toString);
        assertTrue(err.toString().contains("--modes: direct or cached, not cold"), err::toString);
    }

    @Test
    void anUnknownEngineIsRefusedByName() {
        StringWriter err = new StringWriter();
        int code = run(new StringWriter(), err, "--filename", dir.resolve("f").toString(), "--engines", "linux-aio,afc");
        assertEquals(2, code, err::toString);
        assertTrue(err.toString().contains("--engines: linux-aio and/or filechannel, not [linux-aio, afc]"), err::toString);
    }

    @Test
    void oneEngineRunsAlone() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(out, err, "--filename", dir.resolve("f").toString(), "--size", "1m", "--modes", "cached",
                "--threads", "4", "--seconds", "0.1", "--warm-up", "0", "--engines", "filechannel");
        assertEquals(0, code, err::toString);
        assertTrue(out.toString().contains("filechannel"), out::toString);
        assertFalse(out.toString().contains("linux-aio "), out::toString);
    }
}

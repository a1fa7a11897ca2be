package io.linuxaio.benchmarks;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Short real runs of the load generator's linux-aio engines: each one makes I/Os and reports them. */
class LoadGenTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"aio", "aio-netty", "aio-netty-uring"})
    void anEngineRunsReadsAndReportsThem(String engine) {
        if (engine.equals("aio-netty-uring")) {
            Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here (seccomp, or "
                    + "kernel.io_uring_disabled): " + IoUring.unavailabilityCause());
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new LoadGen()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("--engine", engine, "--filename", dir.resolve("f").toString(), "--size", "1m",
                        "--iodepth", "4", "--runtime", "0.3", "--ramp", "0.1", "--json");
        assertEquals(0, code, err::toString);
        Matcher m = Pattern.compile("\"engine\":\"([^\"]+)\".*\"ios\":(\\d+)").matcher(out.toString());
        assertTrue(m.find(), out::toString);
        assertEquals(engine, m.group(1));
        assertTrue(Long.parseLong(m.group(2)) > 0, out::toString);
    }

    @Test
    void theWarmUpLastsUntilTheIosAskedForAreDone() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // a 1 ms ramp alone would end after a handful of reads at iodepth 1
        int code = new CommandLine(new LoadGen()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("--engine", "aio", "--filename", dir.resolve("f").toString(), "--size", "1m",
                        "--iodepth", "1", "--runtime", "0.1", "--ramp", "0.001", "--ramp-ios", "3000", "--json");
        assertEquals(0, code, err::toString);
        Matcher m = Pattern.compile("\"warm_up_ios\":(\\d+)").matcher(out.toString());
        assertTrue(m.find(), out::toString);
        assertTrue(Long.parseLong(m.group(1)) >= 3000, out::toString);
    }

    @Test
    void aNegativeWarmUpIsRefusedWithWhatWasWrong() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new LoadGen()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err))
                .execute("--engine", "aio", "--filename", dir.resolve("f").toString(), "--size", "1m", "--ramp-ios", "-1");
        assertEquals(2, code, err::toString);
        assertTrue(err.toString().contains("--ramp-ios must be 0 or more"), err::toString);
    }
}

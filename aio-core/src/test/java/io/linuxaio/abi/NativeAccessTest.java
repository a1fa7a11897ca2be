package io.linuxaio.abi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A JVM started without native access for the library: one line that names the option, never an ExceptionInInitializerError. */
class NativeAccessTest {

    private static final String PROBE = """
            public class Probe {
                public static void main(String[] args) throws Exception {
                    try (var ctx = io.linuxaio.AioContext.builder().build()) {
                        System.out.println("opened");
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    private record Run(int code, String output) {
    }

    private static String location(String className) throws Exception {
        return Path.of(Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Runs the probe in a new JVM with the library, SLF4J and its simple provider on the path given by {@code pathOption}. */
    private Run probe(String pathOption, String... jvmOptions) throws Exception {
        Path source = Files.writeString(dir.resolve("Probe.java"), PROBE);
        String path = String.join(File.pathSeparator, location("io.linuxaio.abi.LinuxAio"),
                location("org.slf4j.LoggerFactory"), location("org.slf4j.simple.SimpleServiceProvider"));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(pathOption, path));
        if (pathOption.equals("-p")) {
            command.addAll(List.of("--add-modules", "io.linuxaio.core,org.slf4j.simple"));
        }
        command.add(source.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        return new Run(p.exitValue(), output);
    }

    @Test
    void deniedOnTheClassPathNamesTheOption() throws Exception {
        assumeTrue(Runtime.version().feature() >= 24, "--illegal-native-access is a JDK 24 option");
        Run run = probe("-cp", "--illegal-native-access=deny");
        assertNotEquals(0, run.code(), run.output());
        assertTrue(run.output().contains("java.lang.IllegalCallerException: linux-aio: native access is not enabled "
                + "for the class path (the unnamed module); add --enable-native-access=ALL-UNNAMED"), run.output());
        assertFalse(run.output().contains("ExceptionInInitializerError"), run.output());
    }

    @Test
    void deniedOnTheModulePathNamesTheModule() throws Exception {
        assumeTrue(Runtime.version().feature() >= 24, "--illegal-native-access is a JDK 24 option");
        Run run = probe("-p", "--illegal-native-access=deny");
        assertNotEquals(0, run.code(), run.output());
        assertTrue(run.output().contains("linux-aio: native access is not enabled for module io.linuxaio.core; "
                + "add --enable-native-access=io.linuxaio.core (module path)"), run.output());
        assertFalse(run.output().contains("ExceptionInInitializerError"), run.output());
    }

    @Test
    void warnedOnceAndRunsWithoutTheOption() throws Exception {
        Run run = probe("-cp");
        assertEquals(0, run.code(), run.output());
        assertTrue(run.output().contains("opened"), run.output());
        assertEquals(1, run.output().lines().filter(l -> l.contains("WARN io.linuxaio.abi.NativeAccess - linux-aio: "
                + "native access is not enabled")).count(), run.output());
    }

    @Test
    void quietWithTheOption() throws Exception {
        Run run = probe("-cp", "--enable-native-access=ALL-UNNAMED");
        assertEquals(0, run.code(), run.output());
        assertFalse(run.output().contains("native access"), run.output());
    }
}

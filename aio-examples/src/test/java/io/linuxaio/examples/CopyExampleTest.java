package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class CopyExampleTest {

    private static final int SIZE = 5 * (1 << 20) + 77;

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run copy(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ExampleSupport.commandLine(new Copy()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path source() throws Exception {
        byte[] data = new byte[SIZE];
        new Random(42).nextBytes(data);
        return Files.write(dir.resolve("src.bin"), data);
    }

    @Test
    void copiesBuffered() throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.bin");
        Run run = copy("--no-progress", "--iodepth", "4", "--block-size", "256K", src.toString(), dst.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertEquals(-1, Files.mismatch(src, dst));
        assertTrue(run.out().contains("MiB/s"), run.out());
        assertTrue(run.out().contains("buffered"), run.out());
    }

    @Test
    void copiesWithODirectAndVerifies() throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.bin");
        Run run = copy("--no-progress", "--direct", "--verify", "--iodepth", "4", "--block-size", "256K",
                src.toString(), dst.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertEquals(-1, Files.mismatch(src, dst));
        assertTrue(run.out().contains("MiB/s"), run.out());
        assertTrue(run.out().contains("O_DIRECT"), run.out());
        assertTrue(run.out().contains("are identical (" + SIZE + " bytes)"), run.out());
        assertTrue(run.out().contains("library metrics: "), run.out());
    }

    @Test
    void overwritesALongerDestinationAndCutsItToSize() throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.bin");
        byte[] old = new byte[8 << 20];
        new Random(7).nextBytes(old);
        Files.write(dst, old);
        Run run = copy("--no-progress", "--direct", "--verify", "--replace", src.toString(), dst.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertEquals(SIZE, Files.size(dst));
        assertEquals(-1, Files.mismatch(src, dst));
    }

    @Test
    void copiesAnEmptyFile() throws Exception {
        Path src = Files.createFile(dir.resolve("empty"));
        Path dst = Files.write(dir.resolve("dst.bin"), new byte[1000]);
        Run run = copy("--no-progress", "--direct", "--verify", "--replace", src.toString(), dst.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertEquals(0, Files.size(dst));
    }

    @Test
    void refusesToCopyAFileOntoItself() throws Exception {
        Path src = source();
        Run run = copy("--no-progress", src.toString(), src.toString());
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("same file"), run.err());
        assertEquals(SIZE, Files.size(src));
    }
}

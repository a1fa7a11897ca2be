package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class CatExampleTest {

    @TempDir
    Path dir;

    /** Runs cat with {@code args}; the bytes it prints are in {@code bytes}, its messages in {@code err}. */
    private record Run(int code, byte[] bytes, String err) {
    }

    private static Run cat(String... args) {
        Cat cat = new Cat();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        cat.stdout = bytes;
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        int code = ExampleSupport.commandLine(cat).setOut(new PrintWriter(out)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, bytes.toByteArray(), err.toString() + out);
    }

    private Path randomFile(int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Path file = dir.resolve("data-" + size + ".bin");
        Files.write(file, data);
        return file;
    }

    @Test
    void printsTheFileBuffered() throws Exception {
        Path file = randomFile((1 << 20) + 3);
        Run run = cat("--no-progress", file.toString());
        assertEquals(0, run.code(), run.err());
        assertArrayEquals(Files.readAllBytes(file), run.bytes());
    }

    @Test
    void printsTheFileWithODirect() throws Exception {
        Path file = randomFile((1 << 20) + 3);
        Run run = cat("--no-progress", "--direct", file.toString());
        assertEquals(0, run.code(), run.err());
        assertArrayEquals(Files.readAllBytes(file), run.bytes());
    }

    @Test
    void smallBlocksAndAnOddIodepthKeepTheOrder() throws Exception {
        Path file = randomFile((1 << 20) + 3);
        Run run = cat("--no-progress", "--direct", "--iodepth", "3", "--block-size", "8K", file.toString());
        assertEquals(0, run.code(), run.err());
        assertArrayEquals(Files.readAllBytes(file), run.bytes());
    }

    @Test
    void anEmptyFilePrintsNothing() throws Exception {
        Path file = Files.createFile(dir.resolve("empty"));
        Run run = cat("--no-progress", "--direct", file.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(0, run.bytes().length);
    }

    @Test
    void aMissingFileIsAnErrorNamingIt() {
        Path missing = dir.resolve("no-such-file.txt");
        Run run = cat("--no-progress", missing.toString());
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains(missing.toString()), run.err());
        assertEquals(0, run.bytes().length);
    }

    @Test
    void aBlockSizeThatIsNotAlignedIsRefusedWithODirect() throws Exception {
        Path file = randomFile(10_000);
        Run run = cat("--no-progress", "--direct", "--block-size", "1000", file.toString());
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("not a multiple"), run.err());
    }
}

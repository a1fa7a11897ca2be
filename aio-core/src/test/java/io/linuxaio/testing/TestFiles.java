package io.linuxaio.testing;

import io.linuxaio.abi.LibC;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Files of known bytes for tests. Any thread. */
public final class TestFiles {

    private TestFiles() {
    }

    /** {@code size} bytes drawn from a {@link Random} seeded with {@code seed}: the same bytes every run. */
    public static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code content} to {@code dir/name} and returns the path. */
    public static Path file(Path dir, String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /**
     * Why {@code dir}'s filesystem refuses {@code O_DIRECT} (the errno of an {@code open} with it), or null
     * when it accepts it. For assumptions: {@code assumeTrue(directIoRefusal(dir) == null, ...)}.
     */
    public static String directIoRefusal(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, "o-direct", ".probe");
        try {
            int fd = LibC.open(probe, LibC.O_RDWR | LibC.O_DIRECT | LibC.O_CLOEXEC, 0);
            LibC.close(fd);
            return null;
        } catch (IOException e) {
            return Files.getFileStore(dir).type() + " refuses O_DIRECT: " + e.getMessage();
        } finally {
            Files.deleteIfExists(probe);
        }
    }
}

package io.linuxaio.abi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The system-wide AIO limits of {@code /proc/sys/fs}: {@code aio-max-nr} (the most events all
 * contexts may hold together) and {@code aio-nr} (what they hold now).
 */
public final class AioLimits {

    private AioLimits() {
    }

    /** {@code /proc/sys/fs/aio-max-nr}. */
    public static final Path AIO_MAX_NR = Path.of("/proc/sys/fs/aio-max-nr");
    /** {@code /proc/sys/fs/aio-nr}. */
    public static final Path AIO_NR = Path.of("/proc/sys/fs/aio-nr");

    /** {@return the value of {@code /proc/sys/fs/aio-max-nr}, or -1 when it cannot be read} */
    public static long aioMaxNr() {
        return readLong(AIO_MAX_NR);
    }

    /** {@return the value of {@code /proc/sys/fs/aio-nr}, or -1 when it cannot be read} */
    public static long aioNr() {
        return readLong(AIO_NR);
    }

    private static long readLong(Path p) {
        try {
            try (var in = Files.newInputStream(p)) {
                return Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}

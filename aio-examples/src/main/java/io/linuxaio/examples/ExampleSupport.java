package io.linuxaio.examples;

import picocli.CommandLine;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** What several examples share: a size option and waiting for a future in blocking code. */
final class ExampleSupport {

    private ExampleSupport() {
    }

    /** Sizes such as 4096, 64K or 1M (binary units), from 1 byte to 1024M. */
    static final class Size implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim().toUpperCase(Locale.ROOT);
            int shift = v.endsWith("K") ? 10 : v.endsWith("M") ? 20 : 0;
            long bytes = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1)) << shift;
            if (bytes < 1 || bytes > 1 << 30) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size from 1 to 1024M");
            }
            return (int) bytes;
        }
    }

    /** The future's value, or the {@link IOException} it failed with. */
    static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }
}

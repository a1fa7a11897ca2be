package io.linuxaio.examples;

import picocli.CommandLine;

import java.util.Locale;

/**
 * Sizes in bytes as the options of the examples and of the benchmarks take them: a whole number with an
 * optional binary unit, {@code k}, {@code m}, {@code g} or {@code t} in either case ({@code 64K} is 65536
 * bytes, {@code 1g} is 2^30). Stateless: any thread.
 */
public final class ByteSize {

    private ByteSize() {
    }

    /**
     * The bytes {@code value} names.
     *
     * @throws CommandLine.TypeConversionException when it is not a number with an optional unit, or does not fit in a long
     */
    public static long parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        int shift = v.isEmpty() ? 0 : switch (v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
            return Math.multiplyExact(n, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size (a number of bytes, "
                    + "with k, m, g or t for KiB, MiB, GiB or TiB)");
        }
    }

    /** A picocli converter to any size, as a long. */
    public static final class Bytes implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }
    }

    /** A picocli converter to a buffer size, from 1 byte to 1 GiB, as an int: 4096, 64K or 1M, say. */
    public static final class BufferSize implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long bytes = parse(value);
            if (bytes < 1 || bytes > 1 << 30) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size from 1 to 1024M");
            }
            return (int) bytes;
        }
    }
}

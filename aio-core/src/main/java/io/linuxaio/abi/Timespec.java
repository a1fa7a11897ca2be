package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct timespec} (64-bit {@code __kernel_timespec}), 16 bytes:
 *
 * <pre>{@code
 * struct timespec {
 *     time_t tv_sec;
 *     long   tv_nsec;
 * };
 * }</pre>
 */
public final class Timespec {

    private Timespec() {
    }

    /** The layout of {@code struct timespec}, with named fields. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"),
            ValueLayout.JAVA_LONG.withName("tv_nsec")).withName("timespec");

    /** {@code sizeof(struct timespec)} = 16. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code tv_sec}: whole seconds. */
    public static final long TV_SEC = LAYOUT.byteOffset(groupElement("tv_sec"));
    /** The offset of {@code tv_nsec}: nanoseconds, 0 to 999,999,999. */
    public static final long TV_NSEC = LAYOUT.byteOffset(groupElement("tv_nsec"));

    /**
     * {@return {@code tv_sec}: whole seconds}
     *
     * @param ts the timespec
     */
    public static long tvSec(MemorySegment ts) { return ts.get(ValueLayout.JAVA_LONG, TV_SEC); }
    /**
     * {@return {@code tv_nsec}: nanoseconds, 0 to 999,999,999}
     *
     * @param ts the timespec
     */
    public static long tvNsec(MemorySegment ts) { return ts.get(ValueLayout.JAVA_LONG, TV_NSEC); }

    /**
     * Sets {@code ts} to {@code timeout} (negative durations become zero).
     *
     * @param ts the timespec
     * @param timeout the duration
     */
    public static void set(MemorySegment ts, Duration timeout) {
        long secs = Math.max(0, timeout.getSeconds());
        ts.set(ValueLayout.JAVA_LONG, TV_SEC, secs);
        ts.set(ValueLayout.JAVA_LONG, TV_NSEC, timeout.isNegative() ? 0 : timeout.getNano());
    }

    /**
     * Sets {@code ts} to {@code nanos} nanoseconds.
     *
     * @param ts the timespec
     * @param nanos the duration in nanoseconds, not negative
     */
    public static void setNanos(MemorySegment ts, long nanos) {
        ts.set(ValueLayout.JAVA_LONG, TV_SEC, nanos / 1_000_000_000L);
        ts.set(ValueLayout.JAVA_LONG, TV_NSEC, nanos % 1_000_000_000L);
    }
}

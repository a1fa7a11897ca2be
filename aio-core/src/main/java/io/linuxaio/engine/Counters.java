package io.linuxaio.engine;

import io.linuxaio.AioMetrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters of one context. Written by the owner thread only, with opaque stores (the owner reads
 * its own values plainly); read from any thread with opaque loads, so a snapshot taken elsewhere sees
 * whole, recent values but may be a few requests behind. The owner updates a counter before it
 * completes the future it counts, so whoever sees the future done on the owner sees the count.
 */
final class Counters {

    static final int SUBMITTED = 0;
    static final int COMPLETED = 1;
    static final int FAILED = 2;
    static final int BYTES_READ = 3;
    static final int BYTES_WRITTEN = 4;
    static final int RING_FULL_WAITS = 5;
    static final int FALLBACKS = 6;
    static final int SUBMIT_CALLS = 7;
    static final int GETEVENTS_CALLS = 8;
    static final int USER_REAPED = 9;
    static final int STALE = 10;
    /** A gauge: slots in use. */
    static final int IN_FLIGHT = 11;
    /** A gauge: requests waiting for a slot. */
    static final int QUEUED = 12;
    /** Reads the owner did inline, from the page cache (other threads' count apart, in {@link InlineReads}). */
    static final int INLINE_READS = 13;
    /** Their bytes. */
    static final int INLINE_BYTES = 14;
    private static final int COUNT = 15;

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[COUNT];

    /** Adds {@code n} to the counter. Owner thread. */
    void add(int counter, long n) {
        VALUES.setOpaque(values, counter, values[counter] + n);
    }

    /** Adds one to the counter. Owner thread. */
    void increment(int counter) {
        VALUES.setOpaque(values, counter, values[counter] + 1);
    }

    /** Sets a gauge. Owner thread. */
    void set(int gauge, long value) {
        VALUES.setOpaque(values, gauge, value);
    }

    private long get(int counter) {
        return (long) VALUES.getOpaque(values, counter);
    }

    /**
     * A snapshot, with the reads done inline on other threads than the owner (counted apart: any thread
     * makes them). Any thread.
     */
    AioMetrics snapshot(long otherInlineReads, long otherInlineBytes) {
        long inlineReads = get(INLINE_READS) + otherInlineReads;
        long inlineBytes = get(INLINE_BYTES) + otherInlineBytes;
        return new AioMetrics(get(SUBMITTED), get(COMPLETED) + inlineReads, get(FAILED), get(BYTES_READ) + inlineBytes,
                get(BYTES_WRITTEN), get(IN_FLIGHT), get(QUEUED), get(RING_FULL_WAITS), get(FALLBACKS), get(SUBMIT_CALLS),
                get(GETEVENTS_CALLS), get(USER_REAPED), get(STALE), inlineReads);
    }
}

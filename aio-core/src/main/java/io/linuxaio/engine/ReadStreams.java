package io.linuxaio.engine;

import java.util.Arrays;

/**
 * Which of a file's reads on the owner continue an earlier one: the ends of its recent reads there, so
 * that a read starting where one ended is known as part of a sequential stream. Streams meet the kernel's
 * readahead marks (the reason the owner does their mid-file reads the usual way, see {@link InlineReads});
 * random reads seldom do. Several streams at once on one file (downloads of one large file, on one loop's
 * shared {@code AioFile}) each find their own end here. Owner thread.
 *
 * <p>The ends sit in a set-associative table, as a CPU cache keeps lines: an offset's hash picks one set of
 * {@link #WAYS} ends, so a read looks at {@link #WAYS} entries, not at every end kept (a scan of all 64 ends
 * cost about 110 ns a read in {@code SubmitReapBenchmark.inlineOnOwnerBatch32}, an eighth of the read). A new
 * end takes, in its set, the place of the least recently used end that no read has continued yet, so random
 * reads push out one another, not a stream's end; only when every end of the set belongs to a stream does
 * the least recently used stream lose its place.
 */
final class ReadStreams {

    /** Ends in one set. */
    static final int WAYS = 4;
    /** Sets, a power of two: {@code SETS * WAYS} ends are kept. */
    static final int SETS = 32;
    private static final int SET_BITS = Integer.numberOfTrailingZeros(SETS);

    private final long[] ends = new long[SETS * WAYS];
    /** When each end was last met or set, by {@link #clock}. */
    private final long[] used = new long[SETS * WAYS];
    /** Whether a read has continued from this end: a stream's. */
    private final boolean[] stream = new boolean[SETS * WAYS];
    private long clock;

    ReadStreams() {
        Arrays.fill(ends, -1);
    }

    /**
     * Records the read of {@code [position, position + length)} and answers whether it starts where an earlier
     * recorded read ended (a stream's next read; a read at offset 0 starts one).
     */
    boolean continues(long position, long length) {
        long end = position + length;
        long now = ++clock;
        int from = firstWay(position);
        for (int i = from; i < from + WAYS; i++) {
            if (ends[i] == position) {
                ends[i] = -1; // the stream's end moves to the set of its new end
                stream[i] = false;
                used[i] = 0;
                record(end, now, true);
                return true;
            }
        }
        record(end, now, false);
        return position == 0;
    }

    private void record(long end, long now, boolean isStream) {
        int from = firstWay(end);
        int victim = -1;
        int oldestStream = from;
        for (int i = from; i < from + WAYS; i++) {
            if (ends[i] == end) { // two reads ended here: one entry, a stream's if either is
                victim = i;
                isStream |= stream[i];
                break;
            }
            if (stream[i]) {
                if (used[i] < used[oldestStream] || !stream[oldestStream]) {
                    oldestStream = i;
                }
            } else if (victim < 0 || used[i] < used[victim]) {
                victim = i;
            }
        }
        if (victim < 0) {
            victim = oldestStream;
        }
        ends[victim] = end;
        used[victim] = now;
        stream[victim] = isStream;
    }

    /** The first entry of the set an offset falls in: Fibonacci hashing, so that aligned offsets spread. */
    private static int firstWay(long offset) {
        return (int) ((offset * 0x9E3779B97F4A7C15L) >>> (Long.SIZE - SET_BITS)) * WAYS;
    }
}

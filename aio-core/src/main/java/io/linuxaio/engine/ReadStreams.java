package io.linuxaio.engine;

import java.util.Arrays;

/**
 * Which of a file's reads on the owner continue an earlier one: the ends of its recent reads there, so
 * that a read starting where one ended is known as part of a sequential stream. Streams meet the kernel's
 * readahead marks (the reason the owner does their mid-file reads the usual way, see {@link InlineReads});
 * random reads seldom do. Several streams at once on one file (downloads of one large file, on one loop's
 * shared {@code AioFile}) each find their own end here. A new end takes the place of the least recently
 * used end that no read has continued yet, so random reads among the streams push out one another, not a
 * stream's end; only when every end belongs to a stream does the least recently used stream lose its
 * place. Owner thread.
 */
final class ReadStreams {

    /** Ends kept: more streams at once on one file look random to the rule, and are read inline. */
    static final int TRACKED = 64;

    private final long[] ends = new long[TRACKED];
    /** When each end was last met or set, by {@link #clock}. */
    private final long[] used = new long[TRACKED];
    /** Whether a read has continued from this end: a stream's. */
    private final boolean[] stream = new boolean[TRACKED];
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
        int victim = -1;
        int oldestStream = 0;
        for (int i = 0; i < TRACKED; i++) {
            if (ends[i] == position) {
                ends[i] = end;
                used[i] = now;
                stream[i] = true;
                return true;
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
        stream[victim] = false;
        return position == 0;
    }
}

package io.linuxaio.engine;

/**
 * Which of a file's reads on the owner continue an earlier one: the ends of its last few reads there, so
 * that a read starting where one ended is known as part of a sequential stream. Streams meet the kernel's
 * readahead marks (the reason the owner does their mid-file reads the usual way, see {@link InlineReads});
 * random reads seldom do. A few streams at once on one file (downloads of one large file) each find their
 * own end here. Owner thread.
 */
final class ReadStreams {

    /** Streams told apart: more at once on one file look random to the rule, and are read inline. */
    static final int TRACKED = 16;

    private final long[] ends = new long[TRACKED];
    private int next;

    ReadStreams() {
        java.util.Arrays.fill(ends, -1);
    }

    /**
     * Records the read of {@code [position, position + length)} and answers whether it starts where an earlier
     * recorded read ended (a stream's next read; a read at offset 0 starts one).
     */
    boolean continues(long position, long length) {
        long end = position + length;
        for (int i = 0; i < TRACKED; i++) {
            if (ends[i] == position) {
                ends[i] = end;
                return true;
            }
        }
        ends[next] = end;
        next = (next + 1) % TRACKED;
        return position == 0;
    }
}

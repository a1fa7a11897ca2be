package io.linuxaio.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadStreamsTest {

    @Test
    void aReadAtZeroStartsAStreamAndEachNextChunkContinuesIt() {
        ReadStreams r = new ReadStreams();
        assertTrue(r.continues(0, 65536));
        for (long at = 65536; at < 64L << 20; at += 65536) {
            assertTrue(r.continues(at, 65536), "chunk at " + at);
        }
    }

    @Test
    void aReadThatStartsWhereNoneEndedIsRandom() {
        ReadStreams r = new ReadStreams();
        assertFalse(r.continues(4096, 4096));
        assertFalse(r.continues(3 * 4096, 4096));
        assertTrue(r.continues(2 * 4096, 4096), "starts where the first read ended");
        assertFalse(r.continues(2 * 4096, 4096), "that end was taken by the read that continued it");
    }

    @Test
    void streamsKeepTheirEndsThroughAFloodOfRandomReads() {
        ReadStreams r = new ReadStreams();
        SplittableRandom random = new SplittableRandom(7);
        int streams = 16;
        long[] next = new long[streams];
        for (int s = 0; s < streams; s++) {
            next[s] = (1L << 30) * (s + 1);
            r.continues(next[s], 65536); // the first read of each looks random
            next[s] += 65536;
        }
        for (int step = 0; step < 200; step++) {
            for (int s = 0; s < streams; s++) {
                assertTrue(r.continues(next[s], 65536), "stream " + s + " at step " + step);
                next[s] += 65536;
            }
            for (int k = 0; k < 1000; k++) { // random reads at odd offsets: none ends where another starts
                assertFalse(r.continues(random.nextLong(1L << 40) | 1, 4096));
            }
        }
    }

    @Test
    void twoReadsEndingAtOneOffsetKeepOneEnd() {
        ReadStreams r = new ReadStreams();
        r.continues(0, 8192);
        r.continues(4096, 4096); // random, ends where the stream's first read ended
        assertTrue(r.continues(8192, 4096), "the stream goes on from the shared end");
        assertFalse(r.continues(8192, 4096), "one entry held that end, and the stream took it on");
    }
}

package io.linuxaio.netty.http;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code Range} header of RFC 9110 14.2 against a file's size: the ranges to send, in the order asked,
 * clipped to the file. The unit is compared case-insensitively; other units and headers that do not parse
 * are ignored (the whole file is sent). Unsatisfiable specs are dropped, and when none is left the answer
 * is 416. Several ranges are sent as {@code multipart/byteranges} unless they overlap, add up past the file
 * size or are more than {@value #MAX_RANGES}: then the whole file is sent, so that a request cannot make
 * the server send many times the file (nginx's guard). Stateless: any thread.
 */
final class ByteRanges {

    static final int MAX_RANGES = 64;
    /** The answer 416. */
    static final List<long[]> UNSATISFIABLE = List.of();

    private ByteRanges() {
    }

    /**
     * The ranges {@code [first, last]} to send, {@link #UNSATISFIABLE}, or null when the whole file is sent.
     */
    static List<long[]> parse(String header, long size) {
        if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        List<long[]> ranges = new ArrayList<>(2);
        boolean sawSpec = false;
        for (String spec : header.substring(6).split(",", -1)) {
            String s = spec.strip();
            if (s.isEmpty()) {
                continue; // RFC 9110 5.6.1: empty list elements are ignored
            }
            sawSpec = true;
            int dash = s.indexOf('-');
            if (dash < 0 || !digits(s, 0, dash) || !digits(s, dash + 1, s.length()) || (dash == 0 && s.length() == 1)) {
                return null;
            }
            long first;
            long last;
            try {
                if (dash == 0) { // a suffix: the last N bytes
                    long n = Long.parseLong(s, 1, s.length(), 10);
                    if (n == 0 || size == 0) {
                        continue;
                    }
                    first = Math.max(0, size - n);
                    last = size - 1;
                } else {
                    first = Long.parseLong(s, 0, dash, 10);
                    last = dash + 1 == s.length() ? Long.MAX_VALUE : Long.parseLong(s, dash + 1, s.length(), 10);
                    if (first > last) {
                        return UNSATISFIABLE; // invalid, as nginx answers it
                    }
                    if (first >= size) {
                        continue;
                    }
                    last = Math.min(last, size - 1);
                }
            } catch (NumberFormatException e) {
                continue; // more digits than a long: beyond any file
            }
            ranges.add(new long[] {first, last});
        }
        if (!sawSpec) {
            return null;
        }
        if (ranges.isEmpty()) {
            return UNSATISFIABLE;
        }
        return ranges.size() == 1 || acceptable(ranges, size) ? ranges : null;
    }

    private static boolean acceptable(List<long[]> ranges, long size) {
        if (ranges.size() > MAX_RANGES) {
            return false;
        }
        long total = 0;
        for (int i = 0; i < ranges.size(); i++) {
            long[] a = ranges.get(i);
            total += a[1] - a[0] + 1;
            for (int j = 0; j < i; j++) {
                long[] b = ranges.get(j);
                if (a[0] <= b[1] && b[0] <= a[1]) {
                    return false;
                }
            }
        }
        return total <= size;
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}

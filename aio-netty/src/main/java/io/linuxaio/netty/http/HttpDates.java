package io.linuxaio.netty.http;

import io.netty.handler.codec.DateFormatter;

import java.util.Date;

/**
 * HTTP dates (IMF-fixdate, RFC 9110 5.6.7) at a resolution of seconds. The {@code Date} header of the
 * current second is formatted once per second, not per response. Any thread.
 */
final class HttpDates {

    private record Stamp(long second, String text) {
    }

    private static volatile Stamp now = new Stamp(Long.MIN_VALUE, "");

    private HttpDates() {
    }

    /** The value of a {@code Date} header for now. */
    static String now() {
        long second = Math.floorDiv(System.currentTimeMillis(), 1000);
        Stamp s = now;
        if (s.second != second) {
            s = new Stamp(second, DateFormatter.format(new Date(second * 1000)));
            now = s; // a race only formats the same second twice
        }
        return s.text;
    }

    /** {@code seconds} since the epoch as an HTTP date. */
    static String format(long seconds) {
        return DateFormatter.format(new Date(seconds * 1000));
    }

    /** The seconds since the epoch of an HTTP date, or {@link Long#MIN_VALUE} when it is not one. */
    static long parse(String text) {
        Date d = text == null ? null : DateFormatter.parseHttpDate(text);
        return d == null ? Long.MIN_VALUE : Math.floorDiv(d.getTime(), 1000);
    }
}

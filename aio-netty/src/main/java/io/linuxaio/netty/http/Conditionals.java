package io.linuxaio.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * The preconditions of RFC 9110 13.2.2, in its order, for GET and HEAD of a file whose strong
 * {@code ETag} and {@code Last-Modified} (in seconds) are known: {@code If-Match}, else
 * {@code If-Unmodified-Since} (412 when they fail); then {@code If-None-Match}, else
 * {@code If-Modified-Since} (304); and {@code If-Range}, which decides whether a {@code Range} is honoured.
 * Stateless: any thread.
 */
final class Conditionals {

    enum Outcome { PROCEED, NOT_MODIFIED, PRECONDITION_FAILED }

    private Conditionals() {
    }

    static Outcome evaluate(HttpHeaders h, String etag, long lastModified) {
        String ifMatch = h.get(HttpHeaderNames.IF_MATCH);
        if (ifMatch != null) {
            if (!matches(ifMatch, etag, false)) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else {
            long since = HttpDates.parse(h.get(HttpHeaderNames.IF_UNMODIFIED_SINCE));
            if (since != Long.MIN_VALUE && lastModified > since) {
                return Outcome.PRECONDITION_FAILED;
            }
        }
        String ifNoneMatch = h.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matches(ifNoneMatch, etag, true) ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
        }
        long since = HttpDates.parse(h.get(HttpHeaderNames.IF_MODIFIED_SINCE));
        return since != Long.MIN_VALUE && lastModified <= since ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
    }

    /**
     * Whether a {@code Range} may be served: there is no {@code If-Range}, or it names this representation
     * (the same strong ETag, or exactly its {@code Last-Modified} date). Otherwise the whole file is sent,
     * so that a download resumed after the file changed does not splice new bytes onto old ones.
     */
    static boolean rangeApplies(HttpHeaders h, String etag, long lastModified) {
        String ifRange = h.get(HttpHeaderNames.IF_RANGE);
        if (ifRange == null) {
            return true;
        }
        String v = ifRange.trim();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return !v.startsWith("W/") && v.equals(etag); // a weak tag never matches (strong comparison)
        }
        long date = HttpDates.parse(v);
        return date != Long.MIN_VALUE && date == lastModified;
    }

    /**
     * Whether the list of entity tags in {@code header} holds {@code *} or {@code etag}: by weak comparison
     * (a {@code W/} prefix on either side is ignored) or strong comparison (neither may be weak).
     */
    static boolean matches(String header, String etag, boolean weak) {
        int i = 0;
        int n = header.length();
        while (i < n) {
            char c = header.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            if (c == '*') {
                return true;
            }
            boolean isWeak = header.startsWith("W/", i);
            if (isWeak) {
                i += 2;
            }
            if (i >= n || header.charAt(i) != '"') {
                return false; // not a list of entity tags
            }
            int end = header.indexOf('"', i + 1);
            if (end < 0) {
                return false;
            }
            if ((weak || !isWeak) && header.regionMatches(i, etag, 0, etag.length()) && end + 1 - i == etag.length()) {
                return true;
            }
            i = end + 1;
        }
        return false;
    }
}

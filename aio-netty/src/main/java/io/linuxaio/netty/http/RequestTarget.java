package io.linuxaio.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request asks for, checked as RFC 9112 says: an {@code Host} header (exactly one, and valid) on
 * HTTP/1.1, a target in origin form ({@code /a.txt}) or absolute form ({@code http://host/a.txt}), then
 * the path decoded once and normalised: slashes merged, {@code .} and {@code ..} segments removed ({@code ..}
 * above the root is refused), NUL and backslash refused, dotfiles hidden unless allowed. Stateless: any thread.
 */
final class RequestTarget {


    /** A request that can be served: its normalised, decoded path and its raw query (or null). */
    record Target(String path, boolean directory, String query) {
        /** The last segment of the path, "" for the root. */
        String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    private RequestTarget() {
    }

    /** The status of a request that cannot be served as it is (400, 414, 431), or null. */
    static HttpResponseStatus refusal(HttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException) {
                return HttpResponseStatus.REQUEST_URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            }
            return HttpResponseStatus.BAD_REQUEST;
        }
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (!hosts.isEmpty() && !validHost(hosts.get(0))) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        return null;
    }

    /** RFC 9110 7.2: {@code uri-host [ ":" port ]}, the host a reg-name or an IP literal in brackets. */
    static boolean validHost(String h) {
        int i = 0;
        int n = h.length();
        if (n > 0 && h.charAt(0) == '[') {
            int close = h.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (i = 1; i < close; i++) {
                char c = h.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            while (i < n && h.charAt(i) != ':') {
                char c = h.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=%".indexOf(c) >= 0)) {
                    return false;
                }
                i++;
            }
        }
        if (i == n) {
            return true;
        }
        if (h.charAt(i) != ':') {
            return false;
        }
        for (i++; i < n; i++) {
            if (h.charAt(i) < '0' || h.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The part of an origin-form or absolute-form target from the path on, or null for another form. */
    static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.regionMatches(true, 0, "http://", 0, 7) ? 7 : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (scheme < 0) {
            return null;
        }
        int end = scheme;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        return end == uri.length() || uri.charAt(end) != '/' ? "/" + uri.substring(end) : uri.substring(end);
    }

    /**
     * The target of an origin-form URI, or null when it would leave the root or cannot name a file under it
     * (403); {@code hiddenOut} is set when a segment is a dotfile that is not served (404).
     */
    static Target parse(String originForm, boolean dotfiles, boolean[] hiddenOut) {
        String decoded;
        QueryStringDecoder d;
        try {
            d = new QueryStringDecoder(originForm, StandardCharsets.UTF_8);
            decoded = d.path();
        } catch (IllegalArgumentException e) {
            return null; // malformed escapes
        }
        if (decoded.indexOf('\0') >= 0 || decoded.indexOf('\\') >= 0) {
            return null;
        }
        List<String> segments = new ArrayList<>();
        boolean directory = decoded.endsWith("/");
        for (String s : decoded.split("/")) {
            directory = s.isEmpty() ? directory : s.equals(".") || s.equals("..");
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (segments.isEmpty()) {
                    return null;
                }
                segments.removeLast();
                continue;
            }
            if (!dotfiles && s.charAt(0) == '.') {
                hiddenOut[0] = true;
            }
            segments.add(s);
        }
        directory |= decoded.endsWith("/") || segments.isEmpty();
        String path = "/" + String.join("/", segments) + (directory && !segments.isEmpty() ? "/" : "");
        int q = originForm.indexOf('?');
        return new Target(path, directory, q < 0 ? null : originForm.substring(q + 1));
    }

    /** {@code path} percent-encoded for a {@code Location} header. */
    static String encode(String path) {
        StringBuilder sb = new StringBuilder(path.length() + 8);
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }
}

package io.linuxaio.netty.http;

import java.util.List;
import java.util.Locale;

/**
 * The content codings an {@code Accept-Encoding} header allows (RFC 9110 12.5.3), for choosing a
 * precompressed sibling of a file. Immutable: any thread.
 */
final class AcceptEncoding {

    /** The codings served from siblings, in order of preference. */
    static final List<String> PRECOMPRESSED = List.of("br", "gzip");
    static final AcceptEncoding NONE = new AcceptEncoding(null);

    private final String header;

    private AcceptEncoding(String header) {
        this.header = header;
    }

    static AcceptEncoding of(String header) {
        return header == null || header.isBlank() ? NONE : new AcceptEncoding(header.toLowerCase(Locale.ROOT));
    }

    static String suffix(String encoding) {
        return encoding.equals("gzip") ? ".gz" : "." + encoding;
    }

    /** A key that tells apart headers that accept different precompressed codings. */
    String cacheKey() {
        StringBuilder sb = new StringBuilder();
        for (String e : PRECOMPRESSED) {
            if (accepts(e)) {
                sb.append(e);
            }
        }
        return sb.toString();
    }

    /** Whether {@code coding} is named with a weight above 0, or {@code *} is and the coding is not refused. */
    boolean accepts(String coding) {
        if (header == null) {
            return false;
        }
        double star = -1;
        for (String element : header.split(",")) {
            String[] parts = element.split(";");
            String name = parts[0].strip();
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].strip();
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) {
                return q > 0;
            }
            if (name.equals("*")) {
                star = q;
            }
        }
        return star > 0;
    }
}

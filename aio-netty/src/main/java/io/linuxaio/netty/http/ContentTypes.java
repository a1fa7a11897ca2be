package io.linuxaio.netty.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code Content-Type} of a file, chosen by the extension of the name requested (so a link
 * {@code latest.json} is JSON whatever its target is called), from the table {@code mime.types} beside this
 * class (nginx's, and more). A charset is named only on the types given, never on others: an HTML page
 * declares its own. Immutable: any thread.
 */
final class ContentTypes {

    static final String DEFAULT_TYPE = "application/octet-stream";
    /** The types that get {@code ; charset=} when a charset is configured. */
    static final Set<String> DEFAULT_CHARSET_TYPES = Set.of("text/plain", "text/css", "text/javascript",
            "text/markdown", "text/csv");
    private static final Map<String, String> TABLE = load();

    /** Full header values by lower-case extension: the table's type, with the charset where it applies. */
    private final Map<String, String> byExtension = new HashMap<>();

    ContentTypes(String charset, Set<String> charsetTypes) {
        for (var e : TABLE.entrySet()) {
            String type = e.getValue();
            byExtension.put(e.getKey(), charset != null && charsetTypes.contains(type) ? type + "; charset=" + charset : type);
        }
    }

    /** The header value for a file of this name (its last path segment). */
    String of(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return DEFAULT_TYPE;
        }
        String type = byExtension.get(name.substring(dot + 1));
        if (type == null) {
            type = byExtension.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        }
        return type == null ? DEFAULT_TYPE : type;
    }

    private static Map<String, String> load() {
        Map<String, String> table = new HashMap<>();
        try (InputStream in = ContentTypes.class.getResourceAsStream("mime.types")) {
            if (in == null) {
                throw new IllegalStateException("mime.types is missing beside " + ContentTypes.class.getName());
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] words = line.trim().split("\\s+");
                if (words.length < 2 || words[0].startsWith("#")) {
                    continue;
                }
                for (int i = 1; i < words.length; i++) {
                    table.putIfAbsent(words[i].toLowerCase(Locale.ROOT), words[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(table);
    }
}

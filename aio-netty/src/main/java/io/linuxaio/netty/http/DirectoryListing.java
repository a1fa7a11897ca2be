package io.linuxaio.netty.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A directory's entries as nginx's {@code autoindex} writes them, in HTML or JSON: directories first, then
 * by name; dotfiles left out unless they are served. Reading the directory touches the disk: {@link #render}
 * runs on the blocking pool. Stateless: any thread.
 */
final class DirectoryListing {

    private static final DateTimeFormatter HTML_DATE = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private record Entry(String name, boolean directory, long size, long modifiedSeconds) {
    }

    private DirectoryListing() {
    }

    /** The listing of {@code dir}, whose URL path is {@code urlPath}: the body, UTF-8. */
    static byte[] render(Path dir, String urlPath, boolean json, boolean dotfiles) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (!dotfiles && name.startsWith(".")) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (IOException e) {
                    continue; // a dangling link, or gone meanwhile
                }
                entries.add(new Entry(name, a.isDirectory(), a.size(), a.lastModifiedTime().toMillis() / 1000));
            }
        }
        entries.sort(Comparator.comparing((Entry e) -> !e.directory()).thenComparing(Entry::name));
        return (json ? json(entries) : html(entries, urlPath)).getBytes(StandardCharsets.UTF_8);
    }

    private static String html(List<Entry> entries, String urlPath) {
        String title = escape("Index of " + urlPath);
        StringBuilder sb = new StringBuilder("<html>\r\n<head><title>").append(title).append("</title></head>\r\n<body>\r\n<h1>")
                .append(title).append("</h1><hr><pre><a href=\"../\">../</a>\r\n");
        for (Entry e : entries) {
            String name = e.name() + (e.directory() ? "/" : "");
            sb.append("<a href=\"").append(escape(RequestTarget.encode(name))).append("\">").append(escape(name)).append("</a> ")
                    .append(HTML_DATE.format(java.time.Instant.ofEpochSecond(e.modifiedSeconds()))).append(' ')
                    .append(e.directory() ? "-" : String.valueOf(e.size())).append("\r\n");
        }
        return sb.append("</pre><hr></body>\r\n</html>\r\n").toString();
    }

    private static String json(List<Entry> entries) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            sb.append("{ \"name\":\"").append(jsonEscape(e.name())).append("\", \"type\":\"")
                    .append(e.directory() ? "directory" : "file").append("\", \"mtime\":\"")
                    .append(HttpDates.format(e.modifiedSeconds())).append('"');
            if (!e.directory()) {
                sb.append(", \"size\":").append(e.size());
            }
            sb.append(" }").append(i + 1 < entries.size() ? ",\n" : "\n");
        }
        return sb.append("]\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}

package io.linuxaio.netty.http;

import io.linuxaio.netty.LeakRecorder;
import io.linuxaio.testing.LeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Content types from the whole table, by the name requested; a charset only where configured. */
@ExtendWith(LeakCheck.class)
class ContentTypesTest {

    static {
        LeakRecorder.install();
    }

    static final ContentTypes DEFAULTS = new ContentTypes("utf-8", ContentTypes.DEFAULT_CHARSET_TYPES);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a.woff2|font/woff2", "a.woff|font/woff", "a.avif|image/avif", "a.xhtml|application/xhtml+xml",
        "a.wasm|application/wasm", "a.mjs|text/javascript; charset=utf-8", "a.js|text/javascript; charset=utf-8",
        "a.css|text/css; charset=utf-8", "a.txt|text/plain; charset=utf-8", "a.html|text/html", "a.HTM|text/html",
        "a.json|application/json", "a.svg|image/svg+xml", "a.PNG|image/png", "a.tar.gz|application/gzip",
        "a.docx|application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.mp4|video/mp4",
        "a.weird|application/octet-stream", "noext|application/octet-stream", "dot.|application/octet-stream",
        "a.webmanifest|application/manifest+json", "a.md|text/markdown; charset=utf-8",
    })
    void typesComeFromTheTable(String name, String type) {
        assertEquals(type, DEFAULTS.of(name), name);
    }

    @Test
    void theCharsetIsConfigurable() {
        ContentTypes none = new ContentTypes(null, ContentTypes.DEFAULT_CHARSET_TYPES);
        assertEquals("text/plain", none.of("a.txt"));
        ContentTypes html = new ContentTypes("iso-8859-1", Set.of("text/html"));
        assertEquals("text/html; charset=iso-8859-1", html.of("a.html"));
        assertEquals("text/plain", html.of("a.txt"));
    }

    @Test
    void theNameRequestedDecidesNotTheLinksTarget(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("data-v2"), "{}");
        Files.createSymbolicLink(root.resolve("latest.json"), Path.of("data-v2"));
        Files.writeString(root.resolve("page.html"), "<meta charset=\"iso-8859-1\">");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<p>docs");
        try (RawHttp http = RawHttp.serve(root)) {
            assertEquals("application/json", http.get("/latest.json").header("content-type"));
            assertEquals("application/octet-stream", http.get("/data-v2").header("content-type"));
            assertEquals("text/html", http.get("/page.html").header("content-type"));
            assertEquals("text/html", http.get("/docs/").header("content-type"));
        }
    }
}

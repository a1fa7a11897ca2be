package io.linuxaio.netty.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How request paths map to files: slashes, dot segments, directories and their index, dotfiles, special files. */
class PathsTest extends ServedTreeTest {

    @TempDir
    static Path base;
    static Path root;
    static ServerSocketChannel socket;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(base.resolve("www"));
        Files.writeString(root.resolve("a.txt"), "a");
        Files.writeString(root.resolve("index.html"), "home");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/b.txt"), "b");
        Files.writeString(root.resolve("sub/index.html"), "sub home");
        Files.createDirectories(root.resolve("noindex"));
        Files.writeString(root.resolve("noindex/c.txt"), "c");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), "[core]");
        Files.writeString(root.resolve(".env"), "SECRET=1");
        Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
        Files.createSymbolicLink(root.resolve("loop2"), Path.of("loop1"));
        Files.createDirectories(base.resolve("outside"));
        Files.createSymbolicLink(root.resolve("outdir"), base.resolve("outside"));
        socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        socket.bind(UnixDomainSocketAddress.of(root.resolve("sock")));
        http = RawHttp.serve(root);
    }

    @AfterAll
    static void stop() throws Exception {
        socket.close();
    }

    @ParameterizedTest
    @CsvSource({
        "//a.txt, 200, a", "///a.txt, 200, a", "//sub/b.txt, 200, b", "/sub//b.txt, 200, b", "/./a.txt, 200, a",
        "/sub/../a.txt, 200, a", "/sub/%2e%2e/a.txt, 200, a", "/a%2etxt, 200, a", "/sub%2fb.txt, 200, b",
        "/, 200, home", "/sub/, 200, sub home", "//sub/, 200, sub home", "/sub/index.html, 200, sub home",
    })
    void pathsThatNameAFileServeIt(String path, int status, String body) throws Exception {
        RawHttp.Response r = http.get(path);
        assertEquals(status, r.status(), path);
        assertEquals(body, r.text(), path);
    }

    @ParameterizedTest
    @CsvSource({
        "/a.txt/, 404", "/a.txt/x, 404", "/missing, 404", "/missing/, 404", "/noindex/, 403",
        "/loop1, 403", "/.git/config, 404", "/.env, 404", "/sub/.hidden, 404", "/.git/, 404", "/sock, 404",
        "/../a.txt, 403", "/sub/../../a.txt, 403", "/outdir/, 403", "/outdir, 403",
    })
    void otherPathsAreRefusedWithoutA500(String path, int status) throws Exception {
        assertEquals(status, http.get(path).status(), path);
    }

    @Test
    void aNameLongerThanTheFileSystemTakesIs404AndNothingIsLoggedAsAnError() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(404, http.get("/" + "n".repeat(256)).status());
            assertEquals(404, http.get("/" + "n".repeat(300) + "/x").status());
        } finally {
            System.setErr(err);
        }
        assertFalse(captured.toString(StandardCharsets.UTF_8).contains("WARN"), captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aDirectoryWithoutItsSlashIsRedirected() throws Exception {
        RawHttp.Response r = http.get("/sub");
        assertEquals(301, r.status());
        assertEquals("/sub/", r.header("location"));
        assertEquals("/sub/?x=1&y", http.get("/sub?x=1&y").header("location"));
        assertEquals("/noindex/", http.get("//noindex").header("location"));
        Files.createDirectories(root.resolve("with space"));
        try {
            assertEquals("/with%20space/", http.get("/with%20space").header("location"));
        } finally {
            Files.delete(root.resolve("with space"));
        }
    }

    @Test
    void directoriesWithoutAnIndexCanBeListed() throws Exception {
        Files.writeString(root.resolve("noindex/<b>&.txt"), "odd name");
        Files.createDirectories(root.resolve("noindex/zdir"));
        Files.writeString(root.resolve("noindex/.hidden"), "x");
        try (RawHttp listed = RawHttp.serve(root, b -> b.listing(AioHttpFileHandler.Listing.HTML), HttpFileServer.Options.DEFAULT);
             RawHttp json = RawHttp.serve(root, b -> b.listing(AioHttpFileHandler.Listing.JSON), HttpFileServer.Options.DEFAULT)) {
            RawHttp.Response html = listed.get("/noindex/");
            assertEquals(200, html.status());
            assertEquals("text/html; charset=utf-8", html.header("content-type"));
            String page = html.text();
            assertTrue(page.contains("<title>Index of /noindex/</title>"), page);
            assertTrue(page.contains("<a href=\"c.txt\">c.txt</a> "), page);
            assertTrue(page.contains("<a href=\"%3Cb%3E&amp;.txt\">&lt;b&gt;&amp;.txt</a>"), page);
            assertEquals("sub home", listed.get("/sub/").text(), "an index still comes first");
            assertTrue(page.indexOf("zdir/") < page.indexOf("c.txt") && !page.contains(".hidden"), "directories first, no dotfiles: " + page);
            // a HEAD states the listing's length and sends no body: the next answer follows its head at once
            List<RawHttp.Response> heads = listed.exchange(RawHttp.request("HEAD", "/noindex/")
                    + RawHttp.request("HEAD", "/a.txt"), true);
            assertEquals(html.header("content-length"), heads.get(0).header("content-length"));
            assertEquals("1", heads.get(1).header("content-length"));

            RawHttp.Response list = json.get("/noindex/");
            assertEquals("application/json", list.header("content-type"));
            assertTrue(list.text().contains("{ \"name\":\"c.txt\", \"type\":\"file\", \"mtime\":\""), list.text());
            assertTrue(list.text().contains("\"size\":1 }"), list.text());
            assertEquals(403, json.get("/outdir/").status(), "a directory outside the root is not listed");
        } finally {
            Files.delete(root.resolve("noindex/<b>&.txt"));
            Files.delete(root.resolve("noindex/zdir"));
            Files.delete(root.resolve("noindex/.hidden"));
        }
    }

    @Test
    void dotfilesAndIndexesAreConfigurable() throws Exception {
        try (RawHttp open = RawHttp.serve(root, b -> b.dotfiles(true).index(null), HttpFileServer.Options.DEFAULT)) {
            assertEquals("[core]", open.get("/.git/config").text());
            assertEquals(403, open.get("/sub/").status());
            assertEquals(403, open.get("/").status());
        }
    }
}

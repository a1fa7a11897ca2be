package io.linuxaio.netty.http;

import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Preconditions as RFC 9110 13.2.2 orders them, {@code If-Range}, and the headers of 304 and every other answer. */
class ConditionalRequestsTest extends ServedTreeTest {

    static final String EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT";

    @TempDir
    static Path root;
    static byte[] data;
    static String etag;
    static String lastModified;

    @BeforeAll
    static void start() throws Exception {
        data = TestFiles.random(100_000, 5);
        Path f = TestFiles.file(root, "f.bin", data);
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L));
        http = RawHttp.serve(root);
        RawHttp.Response r = http.get("/f.bin");
        etag = r.header("etag");
        lastModified = r.header("last-modified");
        assertEquals("Tue, 14 Nov 2023 22:13:20 GMT", lastModified);
    }

    int status(String... headers) throws Exception {
        return http.get("/f.bin", headers).status();
    }

    @Test
    void aRangeWhoseIfRangeDoesNotMatchGetsTheWholeFile() throws Exception {
        RawHttp.Response stale = http.get("/f.bin", "Range: bytes=10-19", "If-Range: \"an-older-version\"");
        assertEquals(200, stale.status());
        assertArrayEquals(data, stale.body());
        RawHttp.Response older = http.get("/f.bin", "Range: bytes=10-19", "If-Range: " + EPOCH);
        assertEquals(200, older.status());
        assertArrayEquals(data, older.body());
        // a weak tag never matches an If-Range (strong comparison)
        assertEquals(200, status("Range: bytes=10-19", "If-Range: W/" + etag));

        RawHttp.Response same = http.get("/f.bin", "Range: bytes=10-19", "If-Range: " + etag);
        assertEquals(206, same.status());
        assertArrayEquals(Arrays.copyOfRange(data, 10, 20), same.body());
        assertEquals(206, status("Range: bytes=10-19", "If-Range: " + lastModified));
    }

    @Test
    void failedIfMatchAndIfUnmodifiedSinceAnswer412() throws Exception {
        assertEquals(412, status("If-Match: \"other\""));
        assertEquals(412, status("If-Match: \"other\"", "Range: bytes=0-9"));
        assertEquals(412, status("If-Match: W/" + etag)); // If-Match compares strongly
        assertEquals(200, status("If-Match: " + etag));
        assertEquals(200, status("If-Match: \"other\", " + etag));
        assertEquals(200, status("If-Match: *"));
        assertEquals(412, status("If-Unmodified-Since: " + EPOCH));
        assertEquals(200, status("If-Unmodified-Since: " + lastModified));
        // 13.2.2: If-Unmodified-Since is not evaluated when If-Match is present
        assertEquals(200, status("If-Match: " + etag, "If-Unmodified-Since: " + EPOCH));
        // a precondition that fails comes before If-None-Match
        assertEquals(412, status("If-Match: \"other\"", "If-None-Match: " + etag));
        RawHttp.Response r = http.get("/f.bin", "If-Match: \"other\"");
        assertNotNull(r.header("date"));
    }

    @Test
    void ifNoneMatchTakesPrecedenceOverIfModifiedSince() throws Exception {
        assertEquals(304, status("If-None-Match: " + etag, "If-Modified-Since: " + EPOCH));
        assertEquals(200, status("If-None-Match: \"other\"", "If-Modified-Since: " + lastModified));
        assertEquals(304, status("If-None-Match: W/" + etag)); // weak comparison
        assertEquals(304, status("If-Modified-Since: " + lastModified));
        assertEquals(200, status("If-Modified-Since: " + EPOCH));
        assertEquals(200, status("If-Modified-Since: not a date"));
    }

    @Test
    void aNotModifiedAnswerKeepsItsValidatorsAndStatesNoLength() throws Exception {
        for (String head : List.of("GET", "HEAD")) {
            RawHttp.Response r = http.exchange(RawHttp.request(head, "/f.bin", "If-None-Match: " + etag), true).get(0);
            assertEquals(304, r.status(), head);
            assertNull(r.header("content-length"), head + ": a 304 must not state a length but the file's");
            assertEquals(etag, r.header("etag"), head);
            assertEquals(lastModified, r.header("last-modified"), head);
            assertNotNull(r.header("date"), head);
        }
    }

    @Test
    void everyAnswerHasADate() throws Exception {
        for (String[] req : List.of(new String[] {"/f.bin"}, new String[] {"/f.bin", "Range: bytes=0-0"},
                new String[] {"/f.bin", "Range: bytes=200000-"}, new String[] {"/missing"},
                new String[] {"/f.bin", "If-None-Match: " + etag}, new String[] {"/../x"})) {
            RawHttp.Response r = http.get(req[0], Arrays.copyOfRange(req, 1, req.length));
            assertNotNull(r.header("date"), String.join(" ", req) + " -> " + r.status());
        }
        List<RawHttp.Response> bad = http.exchange("GET /f.bin HTTP/1.1\r\n\r\n", false);
        assertEquals(400, bad.get(0).status());
        assertNotNull(bad.get(0).header("date"));
    }
}

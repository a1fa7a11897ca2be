package io.linuxaio.netty.http;

import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code multipart/byteranges}, with the guard against ranges that overlap or add up past the file. */
class MultipleRangesTest extends ServedTreeTest {

    @TempDir
    static Path root;
    static byte[] data;

    @BeforeAll
    static void start() throws Exception {
        data = TestFiles.random(300_000, 9); // several transfer chunks
        TestFiles.file(root, "d.bin", data);
        http = RawHttp.serve(root);
    }

    @Test
    void severalRangesAreSentAsParts() throws Exception {
        RawHttp.Response r = http.get("/d.bin", "Range: bytes=0-9, 100000-200000,-5");
        assertEquals(206, r.status());
        String type = r.header("content-type");
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        assertNull(r.header("content-range"));
        String boundary = type.substring(type.indexOf('=') + 1);
        long[][] expected = {{0, 9}, {100000, 200000}, {data.length - 5, data.length - 1}};
        byte[] body = r.body();
        int at = 0;
        for (long[] range : expected) {
            String head = "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                    + range[0] + "-" + range[1] + "/" + data.length + "\r\n\r\n";
            assertEquals(head, new String(body, at, head.length(), StandardCharsets.ISO_8859_1));
            at += head.length();
            int len = (int) (range[1] - range[0] + 1);
            assertArrayEquals(Arrays.copyOfRange(data, (int) range[0], (int) range[0] + len), Arrays.copyOfRange(body, at, at + len));
            at += len;
        }
        assertEquals("\r\n--" + boundary + "--\r\n", new String(body, at, body.length - at, StandardCharsets.ISO_8859_1));
    }

    @Test
    void aHeadOfSeveralRangesStatesTheLengthOfTheParts() throws Exception {
        RawHttp.Response get = http.get("/d.bin", "Range: bytes=0-9,20-29");
        RawHttp.Response head = http.exchange(RawHttp.request("HEAD", "/d.bin", "Range: bytes=0-9,20-29"), true).get(0);
        assertEquals(206, head.status());
        assertEquals(get.header("content-length"), head.header("content-length"));
    }

    @Test
    void overlappingRangesOrRangesAddingUpPastTheFileGetTheWholeFile() throws Exception {
        for (String range : List.of("bytes=0-9,5-15", "bytes=0-,0-", "bytes=0-200000,200001-,0-0")) {
            RawHttp.Response r = http.get("/d.bin", "Range: " + range);
            assertEquals(200, r.status(), range);
            assertArrayEquals(data, r.body(), range);
        }
    }

    @Test
    void theUnitIsCaseInsensitiveAndUnsatisfiableSpecsAreDropped() throws Exception {
        RawHttp.Response upper = http.get("/d.bin", "Range: BYTES=0-9");
        assertEquals(206, upper.status());
        assertArrayEquals(Arrays.copyOf(data, 10), upper.body());
        RawHttp.Response partly = http.get("/d.bin", "Range: bytes=0-9,999999-");
        assertEquals(206, partly.status());
        assertEquals("bytes 0-9/" + data.length, partly.header("content-range"));
        assertEquals(416, http.get("/d.bin", "Range: bytes=999999-,888888-").status());
        assertEquals(200, http.get("/d.bin", "Range: items=0-9").status());
    }

    @Test
    void parsing() {
        assertNull(ByteRanges.parse(null, 10));
        assertNull(ByteRanges.parse("bytes=x-y", 10));
        assertNull(ByteRanges.parse("bytes=", 10));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.parse("bytes=5-1", 10));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.parse("bytes=-0", 10));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.parse("bytes=0-", 0));
        assertArrayEquals(new long[] {7, 9}, ByteRanges.parse("bytes=-3", 10).get(0));
        assertArrayEquals(new long[] {0, 9}, ByteRanges.parse("bytes=-30", 10).get(0));
        assertArrayEquals(new long[] {2, 9}, ByteRanges.parse("Bytes= 2-100 ,", 10).get(0));
        StringBuilder many = new StringBuilder("bytes=0-0");
        for (int i = 1; i <= ByteRanges.MAX_RANGES; i++) {
            many.append(',').append(2 * i).append('-').append(2 * i);
        }
        assertNull(ByteRanges.parse(many.toString(), 1000)); // too many parts: the whole file
    }
}

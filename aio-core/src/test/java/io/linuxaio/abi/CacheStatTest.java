package io.linuxaio.abi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cachestat(2)}: the pages of a range the page cache holds, read back against what the test put there. */
class CacheStatTest {

    @TempDir
    Path dir;

    @Test
    void countsTheCachedPagesOfARangeAndNothingOnceEvicted() throws Exception {
        assertTrue(CacheStat.isAvailable(), "this kernel (6.5+) has cachestat");
        Path p = dir.resolve("f");
        Files.write(p, new byte[10 * 4096 + 100]);
        try (Arena arena = Arena.ofConfined()) {
            int fd = LibC.open(LibC.cString(arena, p), LibC.O_RDWR, 0);
            assertTrue(fd >= 0);
            try {
                MemorySegment scratch = arena.allocate(CacheStat.SCRATCH_SIZE, 8);
                assertEquals(0, LibC.fsync(fd));
                Files.readAllBytes(p);
                assertEquals(11, CacheStat.cachedPages(fd, 0, 0, scratch), "the whole file: 11 pages");
                assertEquals(2, CacheStat.cachedPages(fd, 4095, 2, scratch), "two bytes across a page boundary");
                assertEquals(1, CacheStat.cachedPages(fd, 10 * 4096, 65536, scratch), "past the end: the last page only");
                assertEquals(0, LibC.posix_fadvise(fd, 4 * 4096, 0, LibC.POSIX_FADV_DONTNEED));
                assertEquals(4, CacheStat.cachedPages(fd, 0, 0, scratch), "the first 4 pages stay");
                assertEquals(-Errno.EBADF, CacheStat.cachedPages(1 << 20, 0, 0, scratch));
            } finally {
                LibC.close(fd);
            }
        }
    }

    @Test
    void pagesSpannedCountsEveryPageARangeTouches() {
        assertEquals(1, CacheStat.pagesSpanned(0, 1));
        assertEquals(1, CacheStat.pagesSpanned(0, 4096));
        assertEquals(2, CacheStat.pagesSpanned(0, 4097));
        assertEquals(2, CacheStat.pagesSpanned(4095, 2));
        assertEquals(16, CacheStat.pagesSpanned(8192, 65536));
    }
}

package io.linuxaio.testing;

import io.linuxaio.abi.CacheStat;
import io.linuxaio.abi.LibC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Takes a file's pages out of the page cache, and makes sure they are out: {@code POSIX_FADV_DONTNEED}
 * keeps a page that is dirty, locked (still being read in by readahead) or on a CPU's LRU batch, so it is
 * asked again until {@code cachestat(2)} counts none. Any thread.
 */
public final class PageCache {

    private static final int TRIES = 100;

    private PageCache() {
    }

    /** Drops the pages of the open file {@code fd} from {@code offset} on; the caller has written dirty ones back. */
    public static void evict(int fd, long offset, String what) throws InterruptedException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(CacheStat.SCRATCH_SIZE, 8);
            for (int i = 0; i < TRIES; i++) {
                assertEquals(0, LibC.posix_fadvise(fd, offset, 0, LibC.POSIX_FADV_DONTNEED), "posix_fadvise " + what);
                if (!CacheStat.isAvailable() || CacheStat.cachedPages(fd, offset, 0, scratch) == 0) {
                    return; // without cachestat (Linux before 6.5) the advice is all there is
                }
                Thread.sleep(5); // a page being read in is unlocked within a disk access
            }
            throw new AssertionError("the page cache kept pages of " + what + " from " + offset);
        }
    }

    /** Writes {@code path}'s dirty pages back, then drops all its pages. */
    public static void evict(Path path) throws IOException, InterruptedException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.force(false); // dirty pages stay in the cache: write them back first
        }
        int fd = LibC.open(path, LibC.O_RDONLY, 0);
        try {
            evict(fd, 0, path.toString());
        } finally {
            LibC.close(fd);
        }
    }
}

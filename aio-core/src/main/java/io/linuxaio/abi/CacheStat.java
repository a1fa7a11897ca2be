package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code cachestat(2)} (Linux 6.5+): how much of a file's range the page cache holds, without reading
 * it and without starting I/O. Made through glibc's {@code syscall(2)}; its number, 451, is the same on
 * every architecture the binding supports.
 *
 * <pre>{@code
 * struct cachestat_range { __u64 off; __u64 len; };          // len 0: to the end of the file
 * struct cachestat { __u64 nr_cache; __u64 nr_dirty; __u64 nr_writeback;
 *                    __u64 nr_evicted; __u64 nr_recently_evicted; };
 * int cachestat(unsigned int fd, struct cachestat_range *cstat_range,
 *               struct cachestat *cstat, unsigned int flags);   // flags must be 0
 * }</pre>
 *
 * <p>The counts are in pages of the kernel's page size ({@link #PAGE_SIZE} on the architectures
 * supported). A page being read in is counted as cached. Any thread.
 */
public final class CacheStat {

    private CacheStat() {
    }

    /** {@code __NR_cachestat}, the same on x86_64 and the asm-generic table (aarch64, riscv64). */
    public static final long NR_CACHESTAT = 451;
    /** The page size the counts are in: 4 KiB on the supported architectures' usual kernels. */
    public static final long PAGE_SIZE = 4096;

    /** {@code struct cachestat_range}. */
    public static final StructLayout RANGE = MemoryLayout.structLayout(
            JAVA_LONG.withName("off"),
            JAVA_LONG.withName("len")).withName("cachestat_range");

    /** {@code struct cachestat}. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("nr_cache"),
            JAVA_LONG.withName("nr_dirty"),
            JAVA_LONG.withName("nr_writeback"),
            JAVA_LONG.withName("nr_evicted"),
            JAVA_LONG.withName("nr_recently_evicted")).withName("cachestat");

    /** The scratch size {@link #cachedPages(int, long, long, MemorySegment)} needs. */
    public static final long SCRATCH_SIZE = RANGE.byteSize() + LAYOUT.byteSize();

    private static final MethodHandle CACHESTAT = Native.syscall(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG);
    private static final boolean AVAILABLE = probe();

    /**
     * {@code cachestat(fd, range, cstat, 0)}.
     *
     * @param fd the descriptor
     * @param range a {@link #RANGE} holding the offset and length to look at
     * @param cstat a {@link #LAYOUT} the kernel fills
     * @return 0, or {@code -errno} ({@code -ENOSYS} before Linux 6.5, {@code -EOPNOTSUPP} on hugetlbfs)
     */
    public static int cachestat(int fd, MemorySegment range, MemorySegment cstat) {
        MemorySegment st = Native.callState();
        try {
            long r = (long) Native.need(CACHESTAT, "syscall").invokeExact(st, NR_CACHESTAT, (long) fd, range, cstat, 0L);
            return r == -1 ? -Native.errno(st) : (int) r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@return the number of cached pages in {@code [offset, offset + length)} of {@code fd}, or {@code -errno}}
     * The structs are the caller's, so that a caller that keeps them allocates nothing.
     *
     * @param fd the descriptor
     * @param offset the first byte
     * @param length how many bytes (0: to the end of the file)
     * @param range a {@link #RANGE}, filled here
     * @param stat a {@link #LAYOUT} the kernel fills
     */
    public static long cachedPages(int fd, long offset, long length, MemorySegment range, MemorySegment stat) {
        range.set(JAVA_LONG, 0, offset);
        range.set(JAVA_LONG, 8, length);
        int r = cachestat(fd, range, stat);
        return r < 0 ? r : stat.get(JAVA_LONG, 0);
    }

    /**
     * {@return the number of cached pages in {@code [offset, offset + length)} of {@code fd}, or {@code -errno}}
     * Uses {@code scratch} (at least {@link #SCRATCH_SIZE} bytes, 8-aligned) for both structs.
     *
     * @param fd the descriptor
     * @param offset the first byte
     * @param length how many bytes (0: to the end of the file)
     * @param scratch memory for the two structs
     */
    public static long cachedPages(int fd, long offset, long length, MemorySegment scratch) {
        return cachedPages(fd, offset, length, scratch.asSlice(0, RANGE.byteSize()),
                scratch.asSlice(RANGE.byteSize(), LAYOUT.byteSize()));
    }

    /**
     * {@return the number of pages that hold some of {@code [offset, offset + length)}}, the count a fully
     * cached range reports (when the range lies within the file).
     *
     * @param offset the first byte
     * @param length how many bytes, at least 1
     */
    public static long pagesSpanned(long offset, long length) {
        return (offset + length - 1) / PAGE_SIZE - offset / PAGE_SIZE + 1;
    }

    /**
     * {@return whether this kernel has {@code cachestat(2)}} Probed once, on a memfd of its own (a kernel
     * without the call answers ENOSYS whatever the descriptor).
     */
    public static boolean isAvailable() {
        return AVAILABLE;
    }

    private static boolean probe() {
        if (CACHESTAT == null || NativeAccess.isDenied()) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = LibC.memfd_create(arena.allocateFrom("cachestat-probe"), 0);
            if (fd < 0) {
                return false;
            }
            try {
                return cachedPages(fd, 0, 0, arena.allocate(SCRATCH_SIZE, 8)) >= 0;
            } finally {
                LibC.close(fd);
            }
        } catch (RuntimeException e) {
            return false;
        }
    }
}

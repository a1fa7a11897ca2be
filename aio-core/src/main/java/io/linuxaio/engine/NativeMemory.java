package io.linuxaio.engine;

import io.linuxaio.abi.LibC;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Any thread: the library's native memory outside its contexts' arenas (bounce buffers for heap buffers,
 * long iovec arrays), and the count of every native byte the library holds, so that tests can prove none
 * leaks.
 */
public final class NativeMemory {

    private NativeMemory() {
    }

    private static final AtomicLong LIVE = new AtomicLong();
    private static final ConcurrentHashMap<Long, Long> SIZES = new ConcurrentHashMap<>();

    /** {@code size} bytes aligned to {@code alignment}, or 0 when memory is exhausted. */
    public static long allocate(long size, long alignment) {
        long p = LibC.posixMemalign(size, alignment);
        if (p != 0) {
            SIZES.put(p, size);
            LIVE.addAndGet(size);
        }
        return p;
    }

    /** Frees memory from {@link #allocate}. */
    public static void free(long address) {
        Long size = SIZES.remove(address);
        if (size == null) {
            throw new IllegalStateException("0x" + Long.toHexString(address) + " was not allocated here, or freed twice");
        }
        LIVE.addAndGet(-size);
        LibC.free(address);
    }

    /** Counts arena memory a context holds (positive when made, negative when freed). */
    public static void accountArena(long bytes) {
        LIVE.addAndGet(bytes);
    }

    /** Native bytes the library holds now: context arenas and scratch memory. */
    public static long liveBytes() {
        return LIVE.get();
    }
}

package io.linuxaio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Allocation of buffers whose address is aligned, as {@code O_DIRECT} requires
 * ({@link AioFile#alignment()} says how much). Any thread.
 */
public final class AlignedBuffers {

    private AlignedBuffers() {
    }

    /**
     * A direct {@code ByteBuffer} of {@code capacity} bytes whose address is a multiple of
     * {@code alignment}; its memory is freed by the garbage collector once it is unreachable.
     *
     * @param capacity the capacity in bytes
     * @param alignment a power of two
     * @return the buffer, position 0, limit {@code capacity}
     * @throws IllegalArgumentException when capacity is negative or alignment is not a power of two
     */
    public static ByteBuffer allocate(int capacity, int alignment) {
        checkAlignment(alignment);
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        if ((long) capacity + alignment - 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacity " + capacity + " with alignment " + alignment
                    + " exceeds the largest ByteBuffer");
        }
        ByteBuffer raw = ByteBuffer.allocateDirect(capacity + alignment - 1);
        // not alignedSlice: it also rounds the end down, which cuts a capacity that is not a multiple
        int offset = (int) (-MemorySegment.ofBuffer(raw).address() & (alignment - 1));
        return raw.position(offset).limit(offset + capacity).slice();
    }

    /**
     * A segment of {@code size} bytes aligned to {@code alignment}, owned by {@code arena}.
     *
     * @param arena the arena that owns the memory; keep it open until every request on the segment completed
     * @param size the size in bytes
     * @param alignment a power of two
     * @return the segment
     * @throws IllegalArgumentException when alignment is not a power of two
     */
    public static MemorySegment allocate(Arena arena, long size, int alignment) {
        checkAlignment(alignment);
        return arena.allocate(size, alignment);
    }

    /**
     * Rounds {@code value} up to a multiple of {@code alignment}.
     *
     * @param value the value, not negative
     * @param alignment a power of two
     * @return the smallest multiple of {@code alignment} that is not less than {@code value}
     * @throws IllegalArgumentException when alignment is not a power of two
     */
    public static long alignUp(long value, int alignment) {
        checkAlignment(alignment);
        return (value + alignment - 1) & -(long) alignment;
    }

    static void checkAlignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a positive power of two");
        }
    }
}

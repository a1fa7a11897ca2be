package io.linuxaio.engine;

import io.linuxaio.DirectIoAlignment;
import io.linuxaio.abi.AioAbi;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The checks a read or write passes at the call, before it takes anything: each throws
 * {@code IllegalArgumentException} (or {@code NullPointerException}) naming what was wrong and what is
 * expected. Any thread.
 */
public final class RequestChecks {

    private RequestChecks() {
    }

    /** Position, length, flags and priority of a read or write. */
    public static void checkTransfer(long position, long length, int rwFlags, int ioprio) {
        if (position < 0) {
            throw new IllegalArgumentException("position " + position + " is negative");
        }
        if (length > Long.MAX_VALUE - position) {
            throw new IllegalArgumentException("position " + position + " + length " + length + " overflows");
        }
        if ((rwFlags & ~AioAbi.RWF_SUPPORTED) != 0) {
            throw new IllegalArgumentException("unknown RWF_* bits 0x" + Integer.toHexString(rwFlags & ~AioAbi.RWF_SUPPORTED)
                    + " in rwFlags 0x" + Integer.toHexString(rwFlags));
        }
        if (ioprio < 0 || ioprio > 0xffff) {
            throw new IllegalArgumentException("ioprio " + ioprio + " is out of range 0..65535");
        }
        if (length > AioAbi.MAX_RW_COUNT) {
            throw new IllegalArgumentException("length " + length + " exceeds the kernel's limit of " + AioAbi.MAX_RW_COUNT
                    + " bytes per request");
        }
    }

    /**
     * The O_DIRECT rules: every position, length and buffer address a multiple of the file's alignment
     * (checked here, since the kernel fails a misaligned address only when the request crosses a page).
     *
     * @param what "read of /path" or "write of /path", for the message
     * @param address the buffer's address, or -1 for a heap buffer (bounced through aligned memory) or a vector
     */
    public static void checkAlignment(DirectIoAlignment a, String what, long position, long length, long address,
                                      Object buffer) {
        if (buffer instanceof ByteBuffer[] bbs) {
            for (int i = 0; i < bbs.length; i++) {
                ByteBuffer bb = bbs[i];
                if (bb.isDirect() && !a.isAddressAligned(MemorySegment.ofBuffer(bb).address())) {
                    throw new IllegalArgumentException("O_DIRECT " + what + ": buffer " + i + "'s address 0x"
                            + Long.toHexString(MemorySegment.ofBuffer(bb).address()) + " is not a multiple of the memory alignment "
                            + a.memoryAlignment() + " (" + a.source() + ")");
                }
                if (!a.isOffsetAligned(bb.remaining())) {
                    throw new IllegalArgumentException("O_DIRECT " + what + ": buffer " + i + "'s length " + bb.remaining()
                            + " is not a multiple of the offset alignment " + a.offsetAlignment() + " (" + a.source() + ")");
                }
            }
        }
        if (!a.isOffsetAligned(position)) {
            throw new IllegalArgumentException("O_DIRECT " + what + ": position " + position
                    + " is not a multiple of the file's offset alignment " + a.offsetAlignment() + " (" + a.source() + ")");
        }
        if (!a.isOffsetAligned(length)) {
            throw new IllegalArgumentException("O_DIRECT " + what + ": length " + length
                    + " is not a multiple of the file's offset alignment " + a.offsetAlignment() + " (" + a.source() + ")");
        }
        if (address >= 0 && !a.isAddressAligned(address)) {
            throw new IllegalArgumentException("O_DIRECT " + what + ": buffer address 0x" + Long.toHexString(address)
                    + " is not a multiple of the memory alignment " + a.memoryAlignment() + " (" + a.source()
                    + "); allocate with AioFile.allocateAligned or AlignedBuffers");
        }
    }

    /**
     * The address the kernel is to use for a direct ByteBuffer, or -1 for a heap one (bounced through native
     * memory); refuses a buffer whose memory was freed (a view of a segment whose arena is closed).
     *
     * @throws IllegalStateException when the buffer's memory is no longer alive
     */
    public static long liveAddress(ByteBuffer buffer) {
        return buffer.isDirect() ? liveAddress(MemorySegment.ofBuffer(buffer)) : -1;
    }

    /**
     * The address the kernel is to use for a native segment, or -1 for a heap one; refuses a segment whose
     * arena is closed, as the JDK's own channels do, since the kernel would write into freed memory.
     *
     * @throws IllegalStateException when the segment's arena is closed
     */
    public static long liveAddress(MemorySegment segment) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the buffer's memory is freed (its arena is closed): a MemorySegment, and a "
                    + "ByteBuffer made from one, must stay alive until the request's future completes");
        }
        return segment.isNative() ? segment.address() : -1;
    }

    /** The segment's size, within the kernel's per-request limit. */
    public static long checkSegmentSize(MemorySegment seg) {
        if (seg.byteSize() > AioAbi.MAX_RW_COUNT) {
            throw new IllegalArgumentException("segment of " + seg.byteSize() + " bytes exceeds the kernel's limit of "
                    + AioAbi.MAX_RW_COUNT + " bytes per request; split it");
        }
        return seg.byteSize();
    }

    /** The total of the buffers' remaining bytes, after checking the vector's length and entries. */
    public static long checkVector(ByteBuffer[] bufs, boolean read) {
        Objects.requireNonNull(bufs, read ? "dsts" : "srcs");
        if (bufs.length == 0) {
            throw new IllegalArgumentException("the buffer array is empty");
        }
        if (bufs.length > AioAbi.UIO_MAXIOV) {
            throw new IllegalArgumentException(bufs.length + " buffers exceed the kernel's limit of " + AioAbi.UIO_MAXIOV
                    + " iovecs per request");
        }
        long total = 0;
        for (int i = 0; i < bufs.length; i++) {
            ByteBuffer bb = Objects.requireNonNull(bufs[i], "buffer " + i + " is null");
            if (read && bb.isReadOnly()) {
                throw new IllegalArgumentException("buffer " + i + " is read-only: cannot read into it");
            }
            liveAddress(bb);
            total += bb.remaining();
        }
        return total;
    }
}

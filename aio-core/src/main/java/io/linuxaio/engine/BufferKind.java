package io.linuxaio.engine;

import io.linuxaio.AlignedBuffers;
import io.linuxaio.abi.IoVec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The kinds of user buffer a request carries, and what each needs around the kernel's work: the
 * address and count for the iocb (native memory of the request's own for heap buffers, copied in for
 * writes), the copy back into heap buffers after a read, and the advance of ByteBuffer positions.
 * Owner thread.
 */
public enum BufferKind {
    /** fsync, fdatasync, poll: no buffer. */
    NONE,
    /** One ByteBuffer, direct or heap. */
    BYTE_BUFFER,
    /** A vector of ByteBuffers ({@code PREADV}/{@code PWRITEV}). */
    BYTE_BUFFERS,
    /** A MemorySegment, native or heap. */
    SEGMENT;

    /** Iovecs preallocated per slot in the context's arena; a longer vector gets native memory of its own. */
    static final int IOV_PER_SLOT = 8;

    /** The memory alignment of bounce buffers: a cache line, or the file's O_DIRECT alignment if larger. */
    private static final int MIN_ALIGN = 64;

    /**
     * Prepares the slot's buffer for the kernel and returns the iocb's {@code aio_buf}: the address of the
     * bytes, or of the iovec array for a vector. {@code length} is the byte count. Native memory it
     * allocates is recorded in {@code slots.ownMemory[slot]} (freed with the slot, also on failure).
     *
     * @param slotIovecs the slot's preallocated iovecs
     */
    long prepare(SlotTable slots, int slot, Object attachment, long length, boolean write, FileHandle file,
                 MemorySegment slotIovecs) {
        return switch (this) {
            case NONE -> 0;
            case BYTE_BUFFER -> {
                ByteBuffer bb = (ByteBuffer) attachment;
                slots.bufferStarts[slot] = bb.position();
                if (bb.isDirect()) {
                    yield MemorySegment.ofBuffer(bb).address();
                }
                long p = bounce(slots, slot, file, length);
                if (write) {
                    MemorySegment.copy(MemorySegment.ofBuffer(bb), 0, MemorySegment.ofAddress(p).reinterpret(length), 0, length);
                }
                yield p;
            }
            case SEGMENT -> {
                MemorySegment seg = (MemorySegment) attachment;
                if (seg.isNative()) {
                    yield seg.address();
                }
                long p = bounce(slots, slot, file, length);
                if (write) {
                    MemorySegment.copy(seg, 0, MemorySegment.ofAddress(p).reinterpret(length), 0, length);
                }
                yield p;
            }
            case BYTE_BUFFERS -> iovecs(slots, slot, file, (ByteBuffer[]) attachment, write, slotIovecs);
        };
    }

    /** The iocb's {@code aio_nbytes}: the byte count, or the number of iovecs for a vector. */
    long iocbCount(Object attachment, long length) {
        return switch (this) {
            case NONE -> 0;
            case BYTE_BUFFER, SEGMENT -> length;
            case BYTE_BUFFERS -> ((ByteBuffer[]) attachment).length;
        };
    }

    /** After a read of {@code res} bytes into native memory of the request's own: copies them into the heap buffers. */
    void copyBack(long aioBuf, Object attachment, long res) {
        switch (this) {
            case BYTE_BUFFER -> MemorySegment.copy(MemorySegment.ofAddress(aioBuf).reinterpret(res), 0,
                    MemorySegment.ofBuffer((ByteBuffer) attachment), 0, res);
            case SEGMENT -> MemorySegment.copy(MemorySegment.ofAddress(aioBuf).reinterpret(res), 0,
                    (MemorySegment) attachment, 0, res);
            case BYTE_BUFFERS -> {
                ByteBuffer[] bbs = (ByteBuffer[]) attachment;
                MemorySegment iov = MemorySegment.ofAddress(aioBuf).reinterpret(bbs.length * IoVec.SIZE);
                long left = res;
                for (int i = 0; i < bbs.length && left > 0; i++) {
                    int k = (int) Math.min(left, bbs[i].remaining());
                    if (!bbs[i].isDirect() && k > 0) {
                        MemorySegment.copy(MemorySegment.ofAddress(IoVec.base(iov, i)).reinterpret(k), 0,
                                MemorySegment.ofBuffer(bbs[i]), 0, k);
                    }
                    left -= k;
                }
            }
            case NONE -> {
            }
        }
    }

    /** Advances a ByteBuffer's position by the {@code n} bytes transferred now (a request done at its call). */
    public void advance(Object attachment, long n) {
        if (this == BYTE_BUFFER) {
            ByteBuffer bb = (ByteBuffer) attachment;
            bb.position(bb.position() + (int) n);
        }
    }

    /** Advances ByteBuffer positions by the {@code n} bytes transferred, as FileChannel does. */
    void advance(Object attachment, int bufferStart, int n) {
        if (this == BYTE_BUFFER) {
            ((ByteBuffer) attachment).position(bufferStart + n);
        } else if (this == BYTE_BUFFERS) {
            long left = n;
            for (ByteBuffer bb : (ByteBuffer[]) attachment) {
                int k = (int) Math.min(left, bb.remaining());
                bb.position(bb.position() + k);
                left -= k;
            }
        }
    }

    private static int alignment(FileHandle file) {
        return file != null && file.isDirect() ? Math.max(MIN_ALIGN, file.alignment().memoryAlignment()) : MIN_ALIGN;
    }

    /** Native memory for a heap buffer's bytes, aligned for O_DIRECT; freed when the slot is. */
    private static long bounce(SlotTable slots, int slot, FileHandle file, long size) {
        long p = NativeMemory.allocate(size, alignment(file));
        if (p == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of native memory for a heap buffer");
        }
        slots.ownMemory[slot] = p;
        return p;
    }

    /** Fills the slot's iovecs (or native memory of the request's own for a long vector, or heap buffers). */
    private static long iovecs(SlotTable slots, int slot, FileHandle file, ByteBuffer[] bbs, boolean write,
                               MemorySegment slotIovecs) {
        int n = bbs.length;
        long heapBytes = 0;
        int align = alignment(file);
        for (ByteBuffer bb : bbs) {
            if (!bb.isDirect()) {
                heapBytes += AlignedBuffers.alignUp(bb.remaining(), align);
            }
        }
        MemorySegment iov;
        long heapBase = 0;
        if (n <= IOV_PER_SLOT && heapBytes == 0) {
            iov = slotIovecs;
        } else {
            long iovBytes = AlignedBuffers.alignUp(n * IoVec.SIZE, align);
            long p = NativeMemory.allocate(iovBytes + heapBytes, align);
            if (p == 0) {
                throw new OutOfMemoryError("cannot allocate " + (iovBytes + heapBytes) + " bytes of native memory for iovecs");
            }
            slots.ownMemory[slot] = p;
            iov = MemorySegment.ofAddress(p).reinterpret(iovBytes + heapBytes);
            heapBase = p + iovBytes;
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer bb = bbs[i];
            int len = bb.remaining();
            long base;
            if (bb.isDirect()) {
                base = MemorySegment.ofBuffer(bb).address();
            } else {
                base = heapBase;
                if (write) {
                    MemorySegment.copy(MemorySegment.ofBuffer(bb), 0, MemorySegment.ofAddress(base).reinterpret(len), 0, len);
                }
                heapBase += AlignedBuffers.alignUp(len, align);
            }
            IoVec.set(iov, i, base, len);
        }
        return iov.address();
    }
}

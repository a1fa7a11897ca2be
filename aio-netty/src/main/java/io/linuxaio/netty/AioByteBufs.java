package io.linuxaio.netty;

import io.linuxaio.AioFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Netty {@link ByteBuf}s with {@link AioFile}. A direct buffer backed by one memory region goes to the
 * kernel without a copy; a heap or composite buffer goes through a pooled direct buffer. Any thread; the
 * futures complete on the file's context owner (its event loop), or at once for a page-cached read.
 *
 * <p>Ownership: the caller's reference stays the caller's, to release when it is done with the buffer, as
 * after any {@code ByteBuf} call that does not say it takes the buffer. The library takes one more reference
 * ({@code retain}) for the time the kernel may write or read the memory and gives it back
 * ({@code release}) when the request ends, whatever its outcome, before the future completes. So a caller
 * may release its reference right after the call (the buffer lives until the request ends), or keep using
 * the buffer after the future completes; it must not touch the buffer's bytes while the request is in flight.
 */
public final class AioByteBufs {

    private AioByteBufs() {
    }

    /**
     * Reads up to {@code length} bytes at {@code position} into {@code dst} at its {@code writerIndex}, and
     * advances the {@code writerIndex} by the count on completion.
     *
     * @param file the file
     * @param position the file position, not negative
     * @param dst the buffer, retained until the read completes
     * @param length how many bytes at most
     * @return the number of bytes read (0 at the end of the file)
     * @throws IllegalArgumentException when {@code length} is negative or exceeds {@code dst}'s writable room
     *         up to its max capacity, or {@code dst} is released; and as {@link AioFile#readAsync(long,
     * java.nio.ByteBuffer)}
     */
    public static CompletableFuture<Integer> readAsync(AioFile file, long position, ByteBuf dst, int length) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(dst, "dst");
        if (dst.refCnt() == 0) {
            throw new IllegalArgumentException("dst is released (refCnt 0)");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " is negative");
        }
        if (length > dst.maxWritableBytes()) {
            throw new IllegalArgumentException("length " + length + " exceeds dst's room: writerIndex " + dst.writerIndex()
                    + ", maxCapacity " + dst.maxCapacity());
        }
        dst.ensureWritable(length);
        int start = dst.writerIndex();
        if (isZeroCopy(dst)) {
            ByteBuffer view = dst.nioBuffer(start, length);
            CompletableFuture<Integer> read = file.readAsync(position, view);
            dst.retain();
            return read.whenComplete((n, err) -> {
                try {
                    if (err == null) {
                        dst.writerIndex(start + n);
                    }
                } finally {
                    dst.release();
                }
            });
        }
        ByteBuf tmp = file.isDirect()
                ? allocateAligned(dst.alloc(), file, length)
                : dst.alloc().directBuffer(length, length);
        CompletableFuture<Integer> read;
        try {
            read = file.readAsync(position, tmp.nioBuffer(0, length));
        } catch (RuntimeException e) {
            tmp.release();
            throw e;
        }
        dst.retain();
        return read.whenComplete((n, err) -> {
            try {
                if (err == null) {
                    dst.setBytes(start, tmp, 0, n);
                    dst.writerIndex(start + n);
                }
            } finally {
                tmp.release();
                dst.release();
            }
        });
    }

    /**
     * Writes {@code src}'s readable bytes at {@code position} and advances its {@code readerIndex} by the
     * count on completion.
     *
     * @param file the file
     * @param position the file position, not negative
     * @param src the buffer, retained until the write completes
     * @return the number of bytes written
     * @throws IllegalArgumentException when {@code src} is released; and as
     *         {@link AioFile#writeAsync(long, java.nio.ByteBuffer)}
     */
    public static CompletableFuture<Integer> writeAsync(AioFile file, long position, ByteBuf src) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(src, "src");
        if (src.refCnt() == 0) {
            throw new IllegalArgumentException("src is released (refCnt 0)");
        }
        int start = src.readerIndex();
        int length = src.readableBytes();
        ByteBuf tmp = null;
        ByteBuffer view;
        if (isZeroCopy(src)) {
            view = src.nioBuffer(start, length);
        } else {
            tmp = file.isDirect() ? allocateAligned(src.alloc(), file, length) : src.alloc().directBuffer(length, length);
            tmp.writeBytes(src, start, length);
            view = tmp.nioBuffer(0, length);
        }
        CompletableFuture<Integer> write;
        try {
            write = file.writeAsync(position, view);
        } catch (RuntimeException e) {
            if (tmp != null) {
                tmp.release();
            }
            throw e;
        }
        src.retain();
        ByteBuf bounce = tmp;
        return write.whenComplete((n, err) -> {
            try {
                if (err == null) {
                    src.readerIndex(start + n);
                }
            } finally {
                if (bounce != null) {
                    bounce.release();
                }
                src.release();
            }
        });
    }

    /**
     * A direct buffer of {@code capacity} bytes (and max capacity) whose memory address meets
     * {@code file}'s O_DIRECT alignment: a slice of a pooled buffer when {@code alloc} pools, released
     * with it.
     *
     * @param alloc the allocator, {@code PooledByteBufAllocator} for I/O buffers
     * @param file the file whose alignment the buffer meets
     * @param capacity the capacity in bytes
     * @return the buffer, empty
     */
    public static ByteBuf allocateAligned(ByteBufAllocator alloc, AioFile file, int capacity) {
        int align = file.alignment().memoryAlignment();
        ByteBuf raw = alloc.directBuffer(capacity + align, capacity + align);
        long address = MemorySegment.ofBuffer(raw.nioBuffer(0, 1)).address();
        int skip = (int) ((align - (address % align)) % align);
        return raw.slice(skip, capacity).clear();
    }

    private static boolean isZeroCopy(ByteBuf buf) {
        return buf.isDirect() && buf.nioBufferCount() == 1;
    }
}

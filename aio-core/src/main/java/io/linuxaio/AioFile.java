package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.Statx;
import io.linuxaio.engine.BlockingCalls;
import io.linuxaio.engine.BufferKind;
import io.linuxaio.engine.Engine;
import io.linuxaio.engine.FileHandle;
import io.linuxaio.engine.FileOpener;
import io.linuxaio.engine.Op;
import io.linuxaio.engine.RequestChecks;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * A file open for asynchronous I/O through an {@link AioContext}.
 *
 * <p>Reads and writes are positional and independent, as with {@code FileChannel}'s positional methods:
 * any number may be in flight at once, from any threads. Each returns a {@code CompletableFuture} that
 * completes on the context's owner thread (or, for a buffered read served from the page cache off the owner,
 * at once on the calling thread, unless {@link AioContext.Builder#inlineCachedReads} is turned off) with the number of
 * bytes transferred (0 for a read at or past
 * the end of the file; a read that straddles the end is short), or exceptionally with an
 * {@link AioIOException} naming the operation, the file, the position, the length and the errno. A
 * {@code ByteBuffer}'s position advances by the count on completion (a read done inline advances it at
 * the call), as {@code FileChannel}'s does; the
 * buffer (and a {@code MemorySegment}'s memory) belongs to the kernel until the future completes: do
 * not touch it, and keep a segment's arena open, until then (closing the arena earlier lets the kernel
 * write into freed memory). A segment whose arena is already closed, or a ByteBuffer view of one, is
 * refused at the call with {@code IllegalStateException}, as the JDK's channels refuse it.
 *
 * <p>Bad arguments throw at the call: {@code NullPointerException}, {@code IllegalArgumentException}
 * (negative position, read into a read-only buffer, a misaligned {@code O_DIRECT} request, unknown
 * {@code RWF_*} bits), {@link NonReadableChannelException} / {@link NonWritableChannelException} for a
 * file opened without the needed access. A request on a closed file, or on a file of a closed context,
 * fails its future with {@link AioClosedException}, zero-length ones included, and has no effect.
 *
 * <p>Every write names its position: a file cannot be opened with {@code APPEND} (as with
 * {@code AsynchronousFileChannel}, that is refused with {@code UnsupportedOperationException}); to append,
 * write at the file's {@link #size()}.
 *
 * <p>{@link #close()} refuses new requests at once; the descriptor is closed when the requests in flight
 * have completed ({@link #closeFuture()}).
 */
public final class AioFile implements AutoCloseable {

    private final AioContext context;
    private final FileHandle handle;

    private AioFile(AioContext context, FileHandle handle) {
        this.context = context;
        this.handle = handle;
    }

    static AioFile open(AioContext context, Path path, OpenOption... options) throws IOException {
        return new AioFile(context, FileOpener.open(path, options));
    }

    // ================================================================== reads and writes

    /**
     * Reads into {@code dst}'s remaining bytes from {@code position}. Any thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param dst the buffer; its position advances by the count on completion
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, a read-only buffer, or a misaligned
     *         {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer dst) {
        return readAsync(position, dst, 0, 0);
    }

    /**
     * Reads into {@code dst} with per-request flags, as {@link #readAsync(long, ByteBuffer)}.
     *
     * @param position the file position, not negative
     * @param dst the buffer; its position advances by the count on completion
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi} ({@code RWF_HIPRI}, {@code RWF_NOWAIT}...), or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, a read-only buffer, unknown flags, or a
     *         misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer dst, int rwFlags, int ioprio) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only ByteBuffer");
        }
        checkReadable();
        return rw(Op.PREAD, false, BufferKind.BYTE_BUFFER, position, dst.remaining(),
                RequestChecks.liveAddress(dst), dst, rwFlags, ioprio);
    }

    /**
     * Writes {@code src}'s remaining bytes at {@code position}. Any thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param src the buffer; its position advances by the count on completion
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position or a misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer src) {
        return writeAsync(position, src, 0, 0);
    }

    /**
     * Writes {@code src} with per-request flags, as {@link #writeAsync(long, ByteBuffer)}.
     *
     * @param position the file position, not negative
     * @param src the buffer; its position advances by the count on completion
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi}, or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position, unknown flags, or a misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer src, int rwFlags, int ioprio) {
        Objects.requireNonNull(src, "src");
        checkWritable();
        return rw(Op.PWRITE, false, BufferKind.BYTE_BUFFER, position, src.remaining(),
                RequestChecks.liveAddress(src), src, rwFlags, ioprio);
    }

    /**
     * Reads {@code dst.byteSize()} bytes from {@code position} into the segment. Any thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param dst the memory; its arena must stay open until the future completes
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, a read-only segment, or a misaligned
     *         {@code O_DIRECT} request
     * @throws IllegalStateException if the segment's arena is closed
     */
    public CompletableFuture<Integer> readAsync(long position, MemorySegment dst) {
        return readAsync(position, dst, 0, 0);
    }

    /**
     * Reads into a segment with per-request flags, as {@link #readAsync(long, MemorySegment)}.
     *
     * @param position the file position, not negative
     * @param dst the memory; its arena must stay open until the future completes
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi}, or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, a read-only segment, unknown flags, or a
     *         misaligned {@code O_DIRECT} request
     * @throws IllegalStateException if the segment's arena is closed
     */
    public CompletableFuture<Integer> readAsync(long position, MemorySegment dst, int rwFlags, int ioprio) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only MemorySegment");
        }
        checkReadable();
        return rw(Op.PREAD, false, BufferKind.SEGMENT, position, RequestChecks.checkSegmentSize(dst),
                RequestChecks.liveAddress(dst), dst, rwFlags, ioprio);
    }

    /**
     * Writes the whole segment at {@code position}. Any thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param src the memory; its arena must stay open until the future completes
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position or a misaligned {@code O_DIRECT} request
     * @throws IllegalStateException if the segment's arena is closed
     */
    public CompletableFuture<Integer> writeAsync(long position, MemorySegment src) {
        return writeAsync(position, src, 0, 0);
    }

    /**
     * Writes a segment with per-request flags, as {@link #writeAsync(long, MemorySegment)}.
     *
     * @param position the file position, not negative
     * @param src the memory; its arena must stay open until the future completes
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi}, or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position, unknown flags, or a misaligned {@code O_DIRECT} request
     * @throws IllegalStateException if the segment's arena is closed
     */
    public CompletableFuture<Integer> writeAsync(long position, MemorySegment src, int rwFlags, int ioprio) {
        Objects.requireNonNull(src, "src");
        checkWritable();
        return rw(Op.PWRITE, false, BufferKind.SEGMENT, position, RequestChecks.checkSegmentSize(src),
                RequestChecks.liveAddress(src), src, rwFlags, ioprio);
    }

    /**
     * A scattering read ({@code IOCB_CMD_PREADV}) into the remaining bytes of {@code dsts}, in order; each
     * buffer's position advances by what it received. Any thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param dsts at most {@link AioAbi#UIO_MAXIOV} buffers
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, an empty or too long array, read-only buffers, or a
     *         misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer[] dsts) {
        return readAsync(position, dsts, 0, 0);
    }

    /**
     * A scattering read with per-request flags, as {@link #readAsync(long, ByteBuffer[])}.
     *
     * @param position the file position, not negative
     * @param dsts at most {@link AioAbi#UIO_MAXIOV} buffers
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi}, or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes read (0 at or past the end of the file)
     * @throws NonReadableChannelException if the file was not opened for reading
     * @throws IllegalArgumentException for a negative position, an empty or too long array, read-only buffers, unknown
     *         flags, or a misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer[] dsts, int rwFlags, int ioprio) {
        long total = RequestChecks.checkVector(dsts, true);
        checkReadable();
        return rw(Op.PREADV, false, BufferKind.BYTE_BUFFERS, position, total, -1, dsts.clone(), rwFlags, ioprio);
    }

    /**
     * A gathering write ({@code IOCB_CMD_PWRITEV}) of the remaining bytes of {@code srcs}, in order. Any
     * thread; completes on the owner.
     *
     * @param position the file position, not negative
     * @param srcs at most {@link AioAbi#UIO_MAXIOV} buffers; each one's position advances by what was written from it
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position, an empty or too long array, or a misaligned
     *         {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer[] srcs) {
        return writeAsync(position, srcs, 0, 0);
    }

    /**
     * A gathering write with per-request flags, as {@link #writeAsync(long, ByteBuffer[])}.
     *
     * @param position the file position, not negative
     * @param srcs at most {@link AioAbi#UIO_MAXIOV} buffers
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi}, or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     * @return the number of bytes written
     * @throws NonWritableChannelException if the file was not opened for writing
     * @throws IllegalArgumentException for a negative position, an empty or too long array, unknown flags, or a
     *         misaligned {@code O_DIRECT} request
     */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer[] srcs, int rwFlags, int ioprio) {
        long total = RequestChecks.checkVector(srcs, false);
        checkWritable();
        return rw(Op.PWRITEV, false, BufferKind.BYTE_BUFFERS, position, total, -1, srcs.clone(), rwFlags, ioprio);
    }

    /**
     * Reads as {@link #readAsync(long, ByteBuffer)} and waits for the result: blocking-style code, for
     * virtual threads in particular (a virtual thread parks while the kernel works; its carrier thread is
     * free, and no thread is added per request). A buffered read into a direct buffer is first tried on the
     * calling thread as one {@code preadv2(RWF_NOWAIT)}, whatever {@link AioContext.Builder#inlineCachedReads}
     * says (the caller waits anyway): cached data is read at once, cold data parks. Not on the context's
     * owner thread (it would wait for itself): that throws {@code IllegalStateException}.
     *
     * @param position the file position, not negative
     * @param dst the buffer; its position advances by the count
     * @return the number of bytes read, 0 at or past the end of the file
     * @throws IOException the request's failure ({@link AioIOException}, {@link AioClosedException}...)
     * @throws IllegalStateException on the context's owner thread (it would wait for itself)
     */
    public int read(long position, ByteBuffer dst) throws IOException {
        if (context.inOwnerThread()) {
            throw ownerWouldWait();
        }
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only ByteBuffer");
        }
        checkReadable();
        return await(rw(Op.PREAD, true, BufferKind.BYTE_BUFFER, position, dst.remaining(), RequestChecks.liveAddress(dst),
                dst, 0, 0));
    }

    /**
     * Writes as {@link #writeAsync(long, ByteBuffer)} and waits for the result (see {@link #read(long, ByteBuffer)}).
     *
     * @param position the file position, not negative
     * @param src the buffer; its position advances by the count
     * @return the number of bytes written
     * @throws IOException the request's failure ({@link AioIOException}, {@link AioClosedException}...)
     * @throws IllegalStateException on the context's owner thread (it would wait for itself)
     */
    public int write(long position, ByteBuffer src) throws IOException {
        return await(writeAsync(position, src));
    }

    private IllegalStateException ownerWouldWait() {
        return new IllegalStateException("a blocking read or write on the owner thread of " + context
                + " would wait for itself; use readAsync/writeAsync there");
    }

    private <T> T await(CompletableFuture<T> f) throws IOException {
        if (context.inOwnerThread()) {
            throw ownerWouldWait();
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            Throwable t = e.getCause() != null ? e.getCause() : e;
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(t);
        }
    }

    /**
     * {@code IOCB_CMD_FSYNC}: data and metadata durable. It is not ordered after writes still in flight:
     * wait for their futures first. Any thread; completes on the owner.
     *
     * @return completes when the file is durable, or exceptionally with an {@link AioIOException}
     */
    public CompletableFuture<Void> fsync() {
        return sync(Op.FSYNC);
    }

    /**
     * {@code IOCB_CMD_FDSYNC}: data (and the metadata needed to read it) durable; as {@link #fsync()}.
     *
     * @return completes when the file's data is durable, or exceptionally with an {@link AioIOException}
     */
    public CompletableFuture<Void> fdatasync() {
        return sync(Op.FDSYNC);
    }

    private CompletableFuture<Void> sync(Op op) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        if (!handle.tryAcquire()) {
            future.completeExceptionally(handle.closed());
            return future;
        }
        context.engine().submit(handle, op, BufferKind.NONE, -1, -1, 0, null, 0, 0, future);
        return future;
    }

    /** @param callerWaits whether the caller blocks for the result (a cached read may then always be done inline) */
    private CompletableFuture<Integer> rw(Op op, boolean callerWaits, BufferKind kind, long position, long length,
                                          long address, Object buffer, int rwFlags, int ioprio) {
        RequestChecks.checkTransfer(position, length, rwFlags, ioprio);
        if (handle.isDirect()) {
            RequestChecks.checkAlignment(handle.alignment(), (op.isRead() ? "read" : "write") + " of " + handle.path(),
                    position, length, address, buffer);
        }
        if (length == 0) {
            // nothing for the kernel to do, but a closed file or context refuses it as it refuses any request
            return !handle.isOpen() ? CompletableFuture.failedFuture(handle.closed())
                    : !context.isOpen() ? CompletableFuture.failedFuture(new AioClosedException(context + " is closed"))
                    : CompletableFuture.completedFuture(0);
        }
        if (!handle.tryAcquire(op)) {
            return CompletableFuture.failedFuture(handle.closed());
        }
        Engine engine = context.engine();
        if (op == Op.PREAD && address >= 0) {
            CompletableFuture<Integer> inline;
            try {
                inline = engine.readInline(handle, kind, buffer, address, position, length, rwFlags, ioprio, callerWaits);
            } catch (RuntimeException | Error e) {
                handle.release(op); // the reference taken for the request: nothing holds it now
                throw e;
            }
            if (inline != null) {
                return inline;
            }
        }
        CompletableFuture<Integer> future = new CompletableFuture<>();
        engine.submit(handle, op, kind, position, length, 0, buffer, rwFlags, ioprio, future);
        return future;
    }

    private void checkReadable() {
        if (!handle.isReadable()) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWritable() {
        if (!handle.isWritable()) {
            throw new NonWritableChannelException();
        }
    }

    // ================================================================== metadata

    /**
     * The size of the file now ({@code statx}; metadata is cached by the kernel). Any thread.
     *
     * @return the size in bytes
     * @throws IOException if {@code statx} fails or the file is closed
     */
    public long size() throws IOException {
        return statx(Statx.STATX_SIZE, Statx::size);
    }

    /**
     * The file's size and modification time ({@code statx} on the open descriptor, whose inode the kernel
     * holds: it does not wait for the disk). Any thread.
     *
     * @return the size and the modification time
     * @throws IOException if {@code statx} fails or the file is closed
     */
    public FileAttributes attributes() throws IOException {
        return statx(Statx.STATX_SIZE | Statx.STATX_MTIME, s -> new FileAttributes(Statx.size(s),
                Statx.mtimeSec(s) * 1_000_000_000L + Statx.mtimeNsec(s)));
    }

    /**
     * A file's size and last modification time.
     *
     * @param size the size in bytes
     * @param lastModifiedNanos the modification time in nanoseconds since the epoch
     */
    public record FileAttributes(long size, long lastModifiedNanos) {
        /** {@return the modification time in milliseconds since the epoch} */
        public long lastModifiedMillis() {
            return Math.floorDiv(lastModifiedNanos, 1_000_000L);
        }
    }

    /**
     * Sets the file's size ({@code ftruncate}). It runs on the blocking pool; the future completes on the
     * owner thread. Any thread.
     *
     * @param size the new size, not negative
     * @return completes when the size is set, or exceptionally with an {@link AioIOException}
     * @throws IllegalArgumentException if {@code size} is negative
     * @throws NonWritableChannelException if the file was not opened for writing
     */
    public CompletableFuture<Void> truncate(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " is negative");
        }
        checkWritable();
        return blocking("ftruncate", size, -1, () -> LibC.ftruncate(handle.fd(), size));
    }

    /**
     * Allocates the blocks of {@code [position, position + length)} ({@code fallocate} mode 0), growing the
     * file if needed, so that later writes there cannot fail for lack of space. On ext4 and XFS the blocks
     * stay marked unwritten until first written: a first {@code O_DIRECT} write there still converts them and
     * goes through the blocking pool; writes over data written once stay in the kernel. To keep every later
     * write in the kernel, fill the file once (as databases and journals do). It runs on the blocking pool;
     * the future completes on the owner thread. Any thread.
     *
     * @param position where the range starts, not negative
     * @param length its length, positive
     * @return completes when the blocks are allocated, or exceptionally with an {@link AioIOException}
     * @throws IllegalArgumentException for a negative position or a length that is not positive
     * @throws NonWritableChannelException if the file was not opened for writing
     */
    public CompletableFuture<Void> allocate(long position, long length) {
        if (position < 0 || length <= 0 || length > Long.MAX_VALUE - position) {
            throw new IllegalArgumentException("cannot allocate position " + position + ", length " + length
                    + ": position must be >= 0 and length > 0");
        }
        checkWritable();
        return blocking("fallocate", position, length, () -> LibC.fallocate(handle.fd(), 0, position, length));
    }

    private CompletableFuture<Void> blocking(String op, long position, long length, IntSupplier call) {
        return BlockingCalls.onFile(context.engine(), handle, op, position, length, call);
    }

    /**
     * {@return what {@code O_DIRECT} requires of this file's buffers, positions and lengths: from
     * {@code statx(STATX_DIOALIGN)}, else the logical block size of the device} Any thread.
     */
    public DirectIoAlignment alignment() {
        return handle.alignment();
    }

    /**
     * A direct buffer aligned for this file's {@code O_DIRECT} I/O. Any thread.
     *
     * @param capacity its capacity in bytes
     * @return the buffer
     */
    public ByteBuffer allocateAligned(int capacity) {
        return AlignedBuffers.allocate(capacity, alignment().memoryAlignment());
    }

    /** A {@code struct statx} per thread: {@link #statx} reads it before it returns, so nothing is allocated per call. */
    private static final ThreadLocal<MemorySegment> STATX_BUFFER = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Statx.LAYOUT));

    private <T> T statx(int mask, Function<MemorySegment, T> get) throws IOException {
        if (!handle.tryAcquire()) {
            throw handle.closed();
        }
        try {
            MemorySegment stx = STATX_BUFFER.get();
            int r = LibC.fstatx(handle.fd(), mask, stx);
            if (r < 0) {
                throw new ErrnoException("statx", -r, handle.path().toString());
            }
            return get.apply(stx);
        } finally {
            handle.release();
        }
    }

    // ================================================================== identity and lifecycle

    /** {@return the path the file was opened with} Any thread. */
    public Path path() {
        return handle.path();
    }

    /** {@return the file descriptor (valid until {@link #closeFuture()} completes)} Any thread. */
    public int fd() {
        return handle.fd();
    }

    /** {@return the context whose owner thread completes this file's futures} Any thread. */
    public AioContext context() {
        return context;
    }

    /** {@return whether the file was opened with {@link AioOpenOption#DIRECT}} Any thread. */
    public boolean isDirect() {
        return handle.isDirect();
    }

    /** {@return whether the file accepts requests (not closed)} Any thread. */
    public boolean isOpen() {
        return handle.isOpen();
    }

    /** {@return a future that completes when the descriptor has been closed} Any thread. */
    public CompletableFuture<Void> closeFuture() {
        return handle.closeFuture();
    }

    /**
     * Refuses new requests and closes the descriptor once the requests in flight have completed (at once
     * when there are none). Never blocks. Idempotent. Any thread.
     */
    @Override
    public void close() {
        handle.close();
    }

    /** The descriptor as the engine sees it, for the channel. */
    FileHandle handle() {
        return handle;
    }

    @Override
    public String toString() {
        return handle.toString();
    }
}

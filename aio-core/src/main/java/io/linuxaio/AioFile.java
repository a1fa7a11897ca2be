package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.Statx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file open for asynchronous I/O through an {@link AioContext}.
 *
 * <p>Reads and writes are positional and independent, as with {@code FileChannel}'s positional methods:
 * any number may be in flight at once, from any threads. Each returns a {@code CompletableFuture} that
 * completes on the context's owner thread with the number of bytes transferred (0 for a read at or past
 * the end of the file; a read that straddles the end is short), or exceptionally with an
 * {@link AioIOException} naming the operation, the file, the position, the length and the errno. A
 * {@code ByteBuffer}'s position advances by the count on completion, as {@code FileChannel}'s does; the
 * buffer (and a {@code MemorySegment}'s memory) belongs to the kernel until the future completes: do
 * not touch it, and keep a segment's arena open, until then.
 *
 * <p>Bad arguments throw at the call: {@code NullPointerException}, {@code IllegalArgumentException}
 * (negative position, read into a read-only buffer, a misaligned {@code O_DIRECT} request, unknown
 * {@code RWF_*} bits), {@link NonReadableChannelException} / {@link NonWritableChannelException} for a
 * file opened without the needed access. A request on a closed file fails its future with
 * {@link AioClosedException}.
 *
 * <p>{@link #close()} refuses new requests at once; the descriptor is closed when the requests in flight
 * have completed ({@link #closeFuture()}).
 */
public final class AioFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AioFile.class);

    private final AioContext context;
    private final Path path;
    private final int fd;
    private final boolean direct;
    private final boolean readable;
    private final boolean writable;
    private final boolean deleteOnClose;
    private volatile DirectIoAlignment alignment;
    /** Requests holding the descriptor, times two, plus 1 once closed. */
    private final AtomicInteger refs = new AtomicInteger();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    /** The filesystem refused RWF_NOWAIT for writes (ext4 buffered): writes go to the pool at once. Owner thread. */
    boolean nowaitWriteRefused;
    /** The filesystem refused RWF_NOWAIT for reads. Owner thread. */
    boolean nowaitReadRefused;

    private AioFile(AioContext context, Path path, int fd, boolean direct, boolean readable, boolean writable,
                    boolean deleteOnClose) {
        this.context = context;
        this.path = path;
        this.fd = fd;
        this.direct = direct;
        this.readable = readable;
        this.writable = writable;
        this.deleteOnClose = deleteOnClose;
    }

    static AioFile open(AioContext context, Path path, OpenOption... options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        boolean read = false;
        boolean write = false;
        boolean append = false;
        int flags = LibC.O_CLOEXEC;
        boolean direct = false;
        boolean deleteOnClose = false;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "an open option is null");
            if (o instanceof StandardOpenOption so) {
                switch (so) {
                    case READ -> read = true;
                    case WRITE -> write = true;
                    case APPEND -> {
                        append = true;
                        write = true;
                    }
                    case CREATE -> flags |= LibC.O_CREAT;
                    case CREATE_NEW -> flags |= LibC.O_CREAT | LibC.O_EXCL;
                    case TRUNCATE_EXISTING -> flags |= LibC.O_TRUNC;
                    case DSYNC -> flags |= LibC.O_DSYNC;
                    case SYNC -> flags |= LibC.O_SYNC;
                    case DELETE_ON_CLOSE -> deleteOnClose = true;
                    case SPARSE -> {
                        // files are sparse unless allocated: nothing to do
                    }
                }
            } else if (o instanceof AioOpenOption ao) {
                switch (ao) {
                    case DIRECT -> {
                        flags |= LibC.O_DIRECT;
                        direct = true;
                    }
                    case DSYNC -> flags |= LibC.O_DSYNC;
                    case SYNC -> flags |= LibC.O_SYNC;
                    case NOATIME -> flags |= LibC.O_NOATIME;
                }
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                flags |= LibC.O_NOFOLLOW;
            } else {
                throw new UnsupportedOperationException("open option " + o + " is not supported; use StandardOpenOption, "
                        + "AioOpenOption or LinkOption.NOFOLLOW_LINKS");
            }
        }
        if (!write) {
            read = true;
            // as FileChannel: CREATE, CREATE_NEW and TRUNCATE_EXISTING are ignored when only reading
            flags &= ~(LibC.O_CREAT | LibC.O_EXCL | LibC.O_TRUNC);
        }
        if (append) {
            if (read) {
                throw new IllegalArgumentException("READ and APPEND cannot be combined");
            }
            flags |= LibC.O_APPEND;
        }
        flags |= read && write ? LibC.O_RDWR : write ? LibC.O_WRONLY : LibC.O_RDONLY;

        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LibC.open(LibC.cString(arena, path), flags, 0666);
        }
        if (fd < 0) {
            int errno = -fd;
            String file = path.toString();
            switch (errno) {
                case Errno.ENOENT -> throw new NoSuchFileException(file);
                case Errno.EEXIST -> throw new FileAlreadyExistsException(file);
                case Errno.EACCES, Errno.EPERM -> throw (AccessDeniedException) new AccessDeniedException(file, null,
                        new ErrnoException("open", errno).getMessage()).initCause(new ErrnoException("open", errno, file));
                default -> throw new ErrnoException("open", errno, file + (direct ? " with O_DIRECT" : ""));
            }
        }
        AioFile file = new AioFile(context, path, fd, direct, read, write, deleteOnClose);
        try {
            int mode = file.statx(Statx.STATX_TYPE | Statx.STATX_MODE, s -> Statx.mode(s));
            if ((mode & Statx.S_IFMT) == Statx.S_IFDIR) {
                throw new IOException(path + " is a directory: AIO reads and writes need a regular file or a block device");
            }
            if (direct) {
                file.alignment = file.probeAlignment();
            }
        } catch (IOException | RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
        return file;
    }

    // ================================================================== reads and writes

    /**
     * Reads into {@code dst}'s remaining bytes from {@code position}. Any thread; completes on the owner.
     *
     * @return the number of bytes read (0 at or past the end of the file); {@code dst}'s position advances by it
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer dst) {
        return readAsync(position, dst, 0, 0);
    }

    /**
     * Reads into {@code dst} with per-request flags.
     *
     * @param rwFlags {@code RWF_*} flags of {@link AioAbi} ({@code RWF_HIPRI}, {@code RWF_NOWAIT}...), or 0
     * @param ioprio an I/O priority from {@link io.linuxaio.abi.IoPrio#prioValue}, or 0 for none
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer dst, int rwFlags, int ioprio) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only ByteBuffer");
        }
        checkReadable();
        return rw(AioContext.OP_PREAD, AioContext.BUF_BYTE_BUFFER, position, dst.remaining(),
                dst.isDirect() ? MemorySegment.ofBuffer(dst).address() : -1, dst, rwFlags, ioprio);
    }

    /** Writes {@code src}'s remaining bytes at {@code position}. Any thread; completes on the owner. */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer src) {
        return writeAsync(position, src, 0, 0);
    }

    /** Writes {@code src} with per-request {@code RWF_*} flags and I/O priority (see {@link #readAsync(long, ByteBuffer, int, int)}). */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer src, int rwFlags, int ioprio) {
        Objects.requireNonNull(src, "src");
        checkWritable();
        return rw(AioContext.OP_PWRITE, AioContext.BUF_BYTE_BUFFER, position, src.remaining(),
                src.isDirect() ? MemorySegment.ofBuffer(src).address() : -1, src, rwFlags, ioprio);
    }

    /** Reads {@code dst.byteSize()} bytes from {@code position} into the segment. Any thread. */
    public CompletableFuture<Integer> readAsync(long position, MemorySegment dst) {
        return readAsync(position, dst, 0, 0);
    }

    /** Reads into a segment with per-request flags (see {@link #readAsync(long, ByteBuffer, int, int)}). */
    public CompletableFuture<Integer> readAsync(long position, MemorySegment dst, int rwFlags, int ioprio) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only MemorySegment");
        }
        checkReadable();
        return rw(AioContext.OP_PREAD, AioContext.BUF_SEGMENT, position, checkSegmentSize(dst),
                dst.isNative() ? dst.address() : -1, dst, rwFlags, ioprio);
    }

    /** Writes the whole segment at {@code position}. Any thread. */
    public CompletableFuture<Integer> writeAsync(long position, MemorySegment src) {
        return writeAsync(position, src, 0, 0);
    }

    /** Writes a segment with per-request flags (see {@link #readAsync(long, ByteBuffer, int, int)}). */
    public CompletableFuture<Integer> writeAsync(long position, MemorySegment src, int rwFlags, int ioprio) {
        Objects.requireNonNull(src, "src");
        checkWritable();
        return rw(AioContext.OP_PWRITE, AioContext.BUF_SEGMENT, position, checkSegmentSize(src),
                src.isNative() ? src.address() : -1, src, rwFlags, ioprio);
    }

    /**
     * A scattering read ({@code IOCB_CMD_PREADV}) into the remaining bytes of {@code dsts}, in order; each
     * buffer's position advances by what it received. At most {@link AioAbi#UIO_MAXIOV} buffers. Any thread.
     */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer[] dsts) {
        return readAsync(position, dsts, 0, 0);
    }

    /** A scattering read with per-request flags. */
    public CompletableFuture<Integer> readAsync(long position, ByteBuffer[] dsts, int rwFlags, int ioprio) {
        long total = checkVector(dsts, true);
        checkReadable();
        return rw(AioContext.OP_PREADV, AioContext.BUF_BYTE_BUFFERS, position, total, -1, dsts.clone(), rwFlags, ioprio);
    }

    /** A gathering write ({@code IOCB_CMD_PWRITEV}) of the remaining bytes of {@code srcs}, in order. Any thread. */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer[] srcs) {
        return writeAsync(position, srcs, 0, 0);
    }

    /** A gathering write with per-request flags. */
    public CompletableFuture<Integer> writeAsync(long position, ByteBuffer[] srcs, int rwFlags, int ioprio) {
        long total = checkVector(srcs, false);
        checkWritable();
        return rw(AioContext.OP_PWRITEV, AioContext.BUF_BYTE_BUFFERS, position, total, -1, srcs.clone(), rwFlags, ioprio);
    }

    /**
     * Reads as {@link #readAsync(long, ByteBuffer)} and waits for the result: blocking-style code, for
     * virtual threads in particular (a virtual thread parks while the kernel works; its carrier thread is
     * free, and no thread is added per request). Not on the context's owner thread (it would wait for
     * itself): that throws {@code IllegalStateException}.
     *
     * @return the number of bytes read, 0 at or past the end of the file
     * @throws IOException the request's failure ({@link AioIOException}, {@link AioClosedException}...)
     */
    public int read(long position, ByteBuffer dst) throws IOException {
        return await(readAsync(position, dst));
    }

    /** Writes as {@link #writeAsync(long, ByteBuffer)} and waits for the result (see {@link #read(long, ByteBuffer)}). */
    public int write(long position, ByteBuffer src) throws IOException {
        return await(writeAsync(position, src));
    }

    private <T> T await(CompletableFuture<T> f) throws IOException {
        if (context.executor().inExecutorThread()) {
            throw new IllegalStateException("a blocking read or write on the owner thread of " + context
                    + " would wait for itself; use readAsync/writeAsync there");
        }
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
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
     */
    public CompletableFuture<Void> fsync() {
        return sync(AioContext.OP_FSYNC);
    }

    /** {@code IOCB_CMD_FDSYNC}: data (and the metadata needed to read it) durable; as {@link #fsync()}. */
    public CompletableFuture<Void> fdatasync() {
        return sync(AioContext.OP_FDSYNC);
    }

    private CompletableFuture<Void> sync(byte op) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        if (!tryAcquire()) {
            future.completeExceptionally(closed());
            return future;
        }
        context.submit(this, fd, op, AioContext.BUF_NONE, -1, -1, 0, null, 0, 0, future);
        return future;
    }

    private CompletableFuture<Integer> rw(byte op, byte bufKind, long position, long length, long address,
                                          Object buffer, int rwFlags, int ioprio) {
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
        if (direct) {
            checkAlignment(op, position, length, address, buffer);
        }
        CompletableFuture<Integer> future = new CompletableFuture<>();
        if (length == 0) {
            future.complete(0);
            return future;
        }
        if (!tryAcquire()) {
            future.completeExceptionally(closed());
            return future;
        }
        context.submit(this, fd, op, bufKind, position, length, 0, buffer, rwFlags, ioprio, future);
        return future;
    }

    private void checkAlignment(byte op, long position, long length, long address, Object buffer) {
        DirectIoAlignment a = alignment();
        String what = (op == AioContext.OP_PREAD || op == AioContext.OP_PREADV ? "read" : "write") + " of " + path;
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

    private static long checkSegmentSize(MemorySegment seg) {
        if (seg.byteSize() > AioAbi.MAX_RW_COUNT) {
            throw new IllegalArgumentException("segment of " + seg.byteSize() + " bytes exceeds the kernel's limit of "
                    + AioAbi.MAX_RW_COUNT + " bytes per request; split it");
        }
        return seg.byteSize();
    }

    private static long checkVector(ByteBuffer[] bufs, boolean read) {
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
            total += bb.remaining();
        }
        return total;
    }

    private void checkReadable() {
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWritable() {
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    // ================================================================== metadata

    /** The size of the file now ({@code statx}; metadata is cached by the kernel). Any thread. */
    public long size() throws IOException {
        return statx(Statx.STATX_SIZE, Statx::size);
    }

    /**
     * The file's size and modification time ({@code statx} on the open descriptor, whose inode the kernel
     * holds: it does not wait for the disk). Any thread.
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
        /** The modification time in milliseconds since the epoch. */
        public long lastModifiedMillis() {
            return Math.floorDiv(lastModifiedNanos, 1_000_000L);
        }
    }

    /**
     * Sets the file's size ({@code ftruncate}). It runs on the blocking pool; the future completes on the
     * owner thread. Any thread.
     */
    public CompletableFuture<Void> truncate(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " is negative");
        }
        checkWritable();
        return blocking("ftruncate", size, -1, () -> LibC.ftruncate(fd, size));
    }

    /**
     * Allocates the blocks of {@code [position, position + length)} ({@code fallocate} mode 0), growing the
     * file if needed, so that later writes there cannot fail for lack of space. On ext4 and XFS the blocks
     * stay marked unwritten until first written: a first {@code O_DIRECT} write there still converts them and
     * goes through the blocking pool; writes over data written once stay in the kernel. To keep every later
     * write in the kernel, fill the file once (as databases and journals do). It runs on the blocking pool;
     * the future completes on the owner thread. Any thread.
     */
    public CompletableFuture<Void> allocate(long position, long length) {
        if (position < 0 || length <= 0 || length > Long.MAX_VALUE - position) {
            throw new IllegalArgumentException("cannot allocate position " + position + ", length " + length
                    + ": position must be >= 0 and length > 0");
        }
        checkWritable();
        return blocking("fallocate", position, length, () -> LibC.fallocate(fd, 0, position, length));
    }

    private CompletableFuture<Void> blocking(String op, long position, long length, java.util.function.IntSupplier call) {
        if (!tryAcquire()) {
            return CompletableFuture.failedFuture(closed());
        }
        return context.supplyBlocking(() -> {
            int r;
            try {
                r = call.getAsInt();
            } finally {
                release(); // the descriptor is not used after the call
            }
            if (r < 0) {
                throw new AioIOException(op, path + " (fd " + fd + ")", position, length, -r, null);
            }
            return null;
        });
    }

    /**
     * What {@code O_DIRECT} requires of this file's buffers, positions and lengths: from
     * {@code statx(STATX_DIOALIGN)}, else the logical block size of the device. Any thread.
     */
    public DirectIoAlignment alignment() {
        DirectIoAlignment a = alignment;
        if (a == null) {
            try {
                a = probeAlignment();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the direct I/O alignment of " + path, e);
            }
            alignment = a;
        }
        return a;
    }

    /** A direct buffer of {@code capacity} bytes aligned for this file's {@code O_DIRECT} I/O. Any thread. */
    public ByteBuffer allocateAligned(int capacity) {
        return AlignedBuffers.allocate(capacity, alignment().memoryAlignment());
    }

    private DirectIoAlignment probeAlignment() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(Statx.LAYOUT);
            int r = LibC.fstatx(fd, Statx.STATX_DIOALIGN | Statx.STATX_TYPE | Statx.STATX_MODE, stx);
            int blockSize = Math.max(1, Statx.blksize(stx));
            if (r < 0) {
                throw new ErrnoException("statx", -r, path.toString());
            }
            if ((Statx.mask(stx) & Statx.STATX_DIOALIGN) != 0 && Statx.dioOffsetAlign(stx) > 0) {
                return new DirectIoAlignment(Statx.dioMemAlign(stx), Statx.dioOffsetAlign(stx), "statx(STATX_DIOALIGN)",
                        blockSize);
            }
            if ((Statx.mask(stx) & Statx.STATX_DIOALIGN) != 0 && direct) {
                throw new IOException(path + " does not support O_DIRECT (statx reports no direct I/O alignment)");
            }
            int logical;
            String source;
            if ((Statx.mode(stx) & Statx.S_IFMT) == Statx.S_IFBLK) {
                MemorySegment size = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
                ErrnoException.check("ioctl(BLKSSZGET)", LibC.ioctl(fd, LibC.BLKSSZGET, size));
                logical = size.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
                source = "BLKSSZGET";
            } else {
                logical = sysfsLogicalBlockSize(Statx.devMajor(stx), Statx.devMinor(stx));
                source = "sysfs logical_block_size";
                if (logical <= 0) {
                    logical = 4096;
                    source = "assumed: the kernel reports no alignment";
                    LOG.warn("{}: no direct I/O alignment from statx or sysfs; assuming 4096", path);
                }
            }
            return new DirectIoAlignment(logical, logical, source, Math.max(blockSize, logical));
        }
    }

    private static int sysfsLogicalBlockSize(int major, int minor) {
        Path dev = Path.of("/sys/dev/block/" + major + ":" + minor);
        for (Path p : new Path[] {dev.resolve("queue/logical_block_size"), dev.resolve("../queue/logical_block_size")}) {
            try {
                return Integer.parseInt(Files.readString(p).trim());
            } catch (IOException | RuntimeException ignored) {
                // not a whole disk, or no such device: try the next
            }
        }
        return -1;
    }

    private <T> T statx(int mask, java.util.function.Function<MemorySegment, T> get) throws IOException {
        if (!tryAcquire()) {
            throw closed();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(Statx.LAYOUT);
            int r = LibC.fstatx(fd, mask, stx);
            if (r < 0) {
                throw new ErrnoException("statx", -r, path.toString());
            }
            return get.apply(stx);
        } finally {
            release();
        }
    }

    // ================================================================== identity and lifecycle

    /** The path the file was opened with. Any thread. */
    public Path path() {
        return path;
    }

    /** The file descriptor (valid until {@link #closeFuture()} completes). Any thread. */
    public int fd() {
        return fd;
    }

    /** The context whose owner thread completes this file's futures. Any thread. */
    public AioContext context() {
        return context;
    }

    /** Whether the file was opened with {@link AioOpenOption#DIRECT}. Any thread. */
    public boolean isDirect() {
        return direct;
    }

    /** Whether the file accepts requests (not closed). Any thread. */
    public boolean isOpen() {
        return (refs.get() & 1) == 0;
    }

    /** Completes when the descriptor has been closed. Any thread. */
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /**
     * Refuses new requests and closes the descriptor once the requests in flight have completed (at once
     * when there are none). Never blocks. Idempotent. Any thread.
     */
    @Override
    public void close() {
        for (;;) {
            int s = refs.get();
            if ((s & 1) != 0) {
                return;
            }
            if (refs.compareAndSet(s, s | 1)) {
                if (s == 0) {
                    closeDescriptor();
                }
                return;
            }
        }
    }

    boolean tryAcquire() {
        for (;;) {
            int s = refs.get();
            if ((s & 1) != 0) {
                return false;
            }
            if (refs.compareAndSet(s, s + 2)) {
                return true;
            }
        }
    }

    void release() {
        if (refs.addAndGet(-2) == 1) {
            closeDescriptor();
        }
    }

    private void closeDescriptor() {
        int r = LibC.close(fd);
        if (deleteOnClose) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("cannot delete {} on close", path, e);
            }
        }
        if (r < 0) {
            closeFuture.completeExceptionally(new ErrnoException("close", -r, path.toString()));
        } else {
            closeFuture.complete(null);
        }
    }

    private AioClosedException closed() {
        return new AioClosedException(path + " is closed");
    }

    @Override
    public String toString() {
        return "AioFile[" + path + ", fd=" + fd + (direct ? ", O_DIRECT" : "") + "]";
    }
}

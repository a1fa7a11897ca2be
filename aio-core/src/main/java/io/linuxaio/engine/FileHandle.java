package io.linuxaio.engine;

import io.linuxaio.AioClosedException;
import io.linuxaio.DirectIoAlignment;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open descriptor as the engine sees it: the fd, its reference count with a closed bit, the future
 * that completes when the fd is closed, and what the engine learned of the filesystem's
 * {@code RWF_NOWAIT} support. Any thread, except the NOWAIT hints, which the owner thread alone reads
 * and writes.
 *
 * <p>Every request holds a reference from its call until its completion; {@link #close} refuses new
 * ones, and the last reference closes the descriptor (closing an fd does not cancel the kernel's I/O on
 * it, so it must not be closed under a request in flight).
 */
public final class FileHandle {

    private static final Logger LOG = LoggerFactory.getLogger(FileHandle.class);

    private final Path path;
    private final int fd;
    private final boolean direct;
    private final boolean readable;
    private final boolean writable;
    private final boolean deleteOnClose;
    private volatile DirectIoAlignment alignment;
    /** Requests holding the descriptor, times two, plus 1 once closed. */
    private final AtomicInteger refs = new AtomicInteger();
    /** Writes from their call to their end: an inline read waits for none (it would pass them by). */
    private final AtomicInteger writesInFlight = new AtomicInteger();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    /**
     * The file's size as an inline read last saw it ({@code statx}), 0 before: a read on the owner that ends
     * short of it cannot reach the end of the file, and is not tried inline without a system call. A stale
     * value only sends a read the usual way (a file that shrank) or asks again (one that grew). Any thread.
     */
    volatile long sizeSeen;

    /** The ends of the file's recent reads on the owner, lest its streams be read inline there. Owner thread. */
    private ReadStreams readStreams;

    /** The filesystem refused RWF_NOWAIT for writes (ext4 buffered): writes go to the pool at once. Owner thread. */
    boolean nowaitWriteRefused;
    /** The filesystem refused RWF_NOWAIT for reads. Owner thread. */
    boolean nowaitReadRefused;

    /** The file's reads and writes in flight, in start order ({@link WriteOrder}): first and last slot, or -1. Owner thread. */
    int orderFirst = -1;
    int orderLast = -1;
    /** Writes in that list. Owner thread. */
    int orderWrites;
    /** Requests in that list that wait for an earlier overlapping one. Owner thread. */
    int orderWaiting;

    /** {@return the ends of the file's recent reads on the owner}, made at the first. Owner thread. */
    ReadStreams readStreams() {
        ReadStreams r = readStreams;
        return r != null ? r : (readStreams = new ReadStreams());
    }

    FileHandle(Path path, int fd, boolean direct, boolean readable, boolean writable, boolean deleteOnClose) {
        this.path = path;
        this.fd = fd;
        this.direct = direct;
        this.readable = readable;
        this.writable = writable;
        this.deleteOnClose = deleteOnClose;
    }

    public Path path() {
        return path;
    }

    public int fd() {
        return fd;
    }

    public boolean isDirect() {
        return direct;
    }

    public boolean isReadable() {
        return readable;
    }

    public boolean isWritable() {
        return writable;
    }

    /** The O_DIRECT alignment, probed once (at open for an O_DIRECT file, else on first use). */
    public DirectIoAlignment alignment() {
        DirectIoAlignment a = alignment;
        if (a == null) {
            try {
                a = FileOpener.probeAlignment(fd, path, direct);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the direct I/O alignment of " + path, e);
            }
            alignment = a;
        }
        return a;
    }

    void alignment(DirectIoAlignment probed) {
        this.alignment = probed;
    }

    public boolean isOpen() {
        return (refs.get() & 1) == 0;
    }

    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** Takes a reference for a request; false once closed. */
    public boolean tryAcquire() {
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

    /** Takes a reference for a request of {@code op}; false once closed. */
    public boolean tryAcquire(Op op) {
        if (op.isWrite()) {
            writesInFlight.incrementAndGet(); // before the reference: a read that sees no write sees none begun
            if (!tryAcquire()) {
                writesInFlight.decrementAndGet();
                return false;
            }
            return true;
        }
        return tryAcquire();
    }

    /** Gives the reference of a request of {@code op} back (see {@link #tryAcquire(Op)}). */
    public void release(Op op) {
        if (op != null && op.isWrite()) {
            writesInFlight.decrementAndGet();
        }
        release();
    }

    /** Whether a write of this file is between its call and its end. */
    public boolean hasWritesInFlight() {
        return writesInFlight.get() != 0;
    }

    /** Gives a reference back; the last one after {@link #close} closes the descriptor. */
    public void release() {
        if (refs.addAndGet(-2) == 1) {
            closeDescriptor();
        }
    }

    /** Refuses new requests; closes the descriptor now if none holds it, else when the last one ends. Idempotent. */
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

    /**
     * Runs {@code call} with the descriptor on the calling thread, holding a reference meanwhile (the
     * descriptor cannot be closed under it); refused with {@link #closed()} once the file is closed.
     */
    public <T> T withDescriptor(DescriptorCall<T> call) throws IOException {
        if (!tryAcquire()) {
            throw closed();
        }
        try {
            return call.call(fd);
        } finally {
            release();
        }
    }

    /** A call given the descriptor. */
    public interface DescriptorCall<T> {
        T call(int fd) throws IOException;
    }

    /** The failure of a request on a closed file. */
    public AioClosedException closed() {
        return new AioClosedException(path + " is closed");
    }

    /** How error messages name the file: its path and descriptor. */
    public String describe() {
        return path + " (fd " + fd + ")";
    }

    @Override
    public String toString() {
        return "AioFile[" + path + ", fd=" + fd + (direct ? ", O_DIRECT" : "") + "]";
    }
}

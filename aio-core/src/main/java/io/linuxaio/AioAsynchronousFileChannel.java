package io.linuxaio;

import io.linuxaio.abi.Errno;
import io.linuxaio.abi.LibC;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntUnaryOperator;

/**
 * An {@link AsynchronousFileChannel} backed by Linux AIO: code written for the JDK's asynchronous file
 * channel gets true kernel AIO without a rewrite. (The JDK's own implementation on Linux runs blocking
 * {@code pread}/{@code pwrite} on a thread pool.)
 *
 * <p>Semantics follow {@link AsynchronousFileChannel}'s javadoc: positional, independent requests (never
 * {@code ReadPendingException}); a read at or past the end of the file completes with -1;
 * {@code IllegalArgumentException} for a negative position or a read-only buffer;
 * {@link NonReadableChannelException} / {@link NonWritableChannelException}; a request on a closed
 * channel fails with {@link ClosedChannelException}; a request still in flight when the channel is closed
 * fails with {@link AsynchronousCloseException}; a request whose bytes would pass the largest file offset
 * fails with an {@link IOException} (EINVAL), as the kernel answers the JDK's channel. The
 * {@link AioOpenOption#DIRECT} option opens the file with {@code O_DIRECT}.
 *
 * <p>Threads: completion handlers run on the owner thread of the channel's {@link AioContext} (the
 * library's completion thread, or a Netty loop for a loop-bound context), or on the executor given to
 * {@link #open(Path, Set, ExecutorService, FileAttribute[])}; never on the thread that made the request. A
 * handler that throws is reported to its thread's uncaught exception handler. On the owner thread,
 * handlers must not block for long. The futures of reads and writes complete on the owner thread (waiting
 * for one there throws {@code IllegalStateException}); those of locks on the library's pool of blocking
 * calls. Every method may be called from any thread.
 *
 * <p>{@link #force} waits for an {@code IOCB_CMD_FSYNC}/{@code FDSYNC} (the flush itself runs in the
 * kernel; a virtual thread calling it parks), {@link #truncate} for an {@code ftruncate} on the blocking
 * pool; on the owner thread (inside a handler) both make the system call there, since waiting for the
 * owner would never end. {@link #forceAsync} does not wait. {@link #lock} and {@link #tryLock} have no
 * asynchronous form in the kernel: they are POSIX record locks taken through a second descriptor of the
 * same file, and they share the JVM's lock table with {@code FileChannel}. As
 * with every POSIX lock, closing any descriptor of the file in this process releases the process's locks on it.
 */
public final class AioAsynchronousFileChannel extends AsynchronousFileChannel {

    private static final FileAttribute<?>[] NO_ATTRIBUTES = {};

    private final AioFile file;
    private final AioContext context;
    /** Whether the context is the shared default one, which this channel holds until it closes. */
    private final boolean defaultContext;
    private final boolean readable;
    private final boolean writable;
    private final ChannelHandlers handlers;
    private final ChannelLocks locks;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** {@code options} is a copy, checked by {@link #checkOpen}. */
    private AioAsynchronousFileChannel(Path path, OpenOption[] options, AioContext context,
                                       boolean defaultContext, ExecutorService executor) throws IOException {
        this.writable = contains(options, StandardOpenOption.WRITE);
        this.readable = contains(options, StandardOpenOption.READ) || !writable;
        this.file = context.open(path, options);
        this.context = context;
        this.defaultContext = defaultContext;
        this.handlers = new ChannelHandlers(context, executor);
        this.locks = new ChannelLocks(this, file, readable, writable);
    }

    /**
     * Opens {@code path} as {@link AsynchronousFileChannel#open(Path, OpenOption...)} does, on a default
     * context shared by the channels opened without one: its completion thread runs the handlers.
     *
     * @param path the file to open
     * @param options how to open it, as for {@link AioContext#open(Path, OpenOption...)}: READ when neither
     *                READ nor WRITE is given
     * @return a new channel on the default context; closing it releases its use of that context
     * @throws IOException when the default context cannot be made or the file cannot be opened
     *         ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.AccessDeniedException}, ...)
     * @throws UnsupportedOperationException for {@link StandardOpenOption#APPEND} or an option of another kind
     */
    public static AioAsynchronousFileChannel open(Path path, OpenOption... options) throws IOException {
        return openShared(path, options.clone(), null, NO_ATTRIBUTES);
    }

    /**
     * Opens {@code path} as {@link AsynchronousFileChannel#open(Path, Set, ExecutorService, FileAttribute[])}
     * does: requests go through the default context (see {@link #open(Path, OpenOption...)}), handlers run on
     * {@code executor} (on the context's completion thread when it is null). The channel does not shut the
     * executor down. File attributes are not supported (an {@code UnsupportedOperationException} if any is
     * given).
     *
     * <p>The default context is made for the first such channel and kept for 30 s after the last one closes
     * (tearing a context down costs 30-40 ms in the kernel), then closed; {@link #releaseDefaultContext()}
     * closes it at once. The system
     * property {@code java.nio.channels.DefaultThreadPool.threadFactory}, the JDK's for its default group,
     * names the {@code ThreadFactory} of its completion thread.
     *
     * @param path the file to open
     * @param options how to open it, as for {@link AioContext#open(Path, OpenOption...)}: READ when neither
     *                READ nor WRITE is given
     * @param executor where completion handlers run, or null for the default context's completion thread
     * @param attrs must be empty
     * @return a new channel on the default context; closing it releases its use of that context
     * @throws IOException when the default context cannot be made or the file cannot be opened
     *         ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.AccessDeniedException}, ...)
     * @throws UnsupportedOperationException when a file attribute is given, for {@link StandardOpenOption#APPEND}
     *         or an option of another kind
     */
    public static AioAsynchronousFileChannel open(Path path, Set<? extends OpenOption> options, ExecutorService executor,
                                                  FileAttribute<?>... attrs) throws IOException {
        return openShared(path, Objects.requireNonNull(options, "options").toArray(new OpenOption[0]), executor, attrs);
    }

    private static AioAsynchronousFileChannel openShared(Path path, OpenOption[] options, ExecutorService executor,
                                                         FileAttribute<?>[] attrs) throws IOException {
        checkOpen(path, options, attrs);
        AioContext shared = DefaultChannelContext.acquire();
        try {
            return new AioAsynchronousFileChannel(path, options, shared, true, executor);
        } catch (IOException | RuntimeException e) {
            DefaultChannelContext.release(shared);
            throw e;
        }
    }

    /**
     * Opens {@code path} as {@link AsynchronousFileChannel#open(Path, Set, ExecutorService, FileAttribute[])}
     * does, with requests through {@code context}, whose owner thread runs the handlers.
     * File attributes are not supported (an {@code UnsupportedOperationException} if any is given).
     *
     * @param path the file to open
     * @param options how to open it, as for {@link AioContext#open(Path, OpenOption...)}: READ when neither
     *                READ nor WRITE is given
     * @param context the context that the channel's requests go through; closing the channel does not close it
     * @param attrs must be empty
     * @return a new channel on {@code context}
     * @throws IOException when the file cannot be opened ({@link java.nio.file.NoSuchFileException},
     *         {@link java.nio.file.AccessDeniedException}, ...)
     * @throws AioClosedException when {@code context} is closed
     * @throws UnsupportedOperationException when a file attribute is given, for {@link StandardOpenOption#APPEND}
     *         or an option of another kind
     */
    public static AioAsynchronousFileChannel open(Path path, Set<? extends OpenOption> options, AioContext context,
                                                  FileAttribute<?>... attrs) throws IOException {
        Objects.requireNonNull(context, "context");
        OpenOption[] copy = Objects.requireNonNull(options, "options").toArray(new OpenOption[0]);
        checkOpen(path, copy, attrs);
        return new AioAsynchronousFileChannel(path, copy, context, false, null);
    }

    private static void checkOpen(Path path, OpenOption[] options, FileAttribute<?>[] attrs) {
        Objects.requireNonNull(path, "path");
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "an open option is null");
        }
        if (attrs.length > 0) {
            throw new UnsupportedOperationException("file attributes are not supported: " + attrs[0].name());
        }
        if (contains(options, StandardOpenOption.APPEND)) {
            throw new UnsupportedOperationException("APPEND not allowed"); // as the JDK's channel
        }
    }

    /** An array, not a set: a set's hashing was a third of the Java time of an open+close. */
    private static boolean contains(OpenOption[] options, OpenOption option) {
        for (OpenOption o : options) {
            if (o == option) {
                return true;
            }
        }
        return false;
    }

    /**
     * Closes the default context of {@link #open(Path, OpenOption...)} now if no channel uses it (it closes
     * by itself after a while without channels): for a program that wants its kernel context and thread back
     * at once (a leak check of {@code /proc/sys/fs/aio-nr}, say). Waits for the teardown (some tens of
     * milliseconds). Any thread but that context's owner.
     *
     * @return whether it closed one: false when there is no default context or channels still use it
     */
    public static boolean releaseDefaultContext() {
        return DefaultChannelContext.closeIfUnused();
    }

    /**
     * The file under this channel.
     *
     * @return the {@link AioFile} that this channel's requests go to
     */
    public AioFile file() {
        return file;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return file.size(); // statx, on the calling thread
    }

    @Override
    public AsynchronousFileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("Negative size");
        }
        ensureOpen();
        if (!writable) {
            throw new NonWritableChannelException();
        }
        if (size < file.size()) {
            if (context.inOwnerThread()) {
                callNow("ftruncate", size, fd -> LibC.ftruncate(fd, size));
            } else {
                join(file.truncate(size));
            }
        }
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        if (context.inOwnerThread()) {
            callNow(metaData ? "fsync" : "fdatasync", -1, fd -> metaData ? LibC.fsync(fd) : LibC.fdatasync(fd));
        } else {
            join(forceAsync(metaData));
        }
    }

    /**
     * {@link #force} without waiting: {@code fsync} ({@code metaData}) or {@code fdatasync} through AIO.
     *
     * @param metaData whether the file's metadata is written too ({@code fsync}) or only what reading the
     *                 data needs ({@code fdatasync})
     * @return completes when the file is durable, or exceptionally with an {@link AioIOException}
     */
    public CompletableFuture<Void> forceAsync(boolean metaData) {
        return metaData ? file.fsync() : file.fdatasync();
    }

    /** A system call (returning -errno) on the calling thread: the owner's, which cannot wait for itself. */
    private void callNow(String op, long position, IntUnaryOperator call) throws IOException {
        file.handle().withDescriptor(fd -> {
            int r = call.applyAsInt(fd);
            if (r < 0) {
                throw new AioIOException(op, file.handle().describe(), position, -1, -r, null);
            }
            return null;
        });
    }

    /**
     * {@inheritDoc} The handler runs on the owner thread (or the executor).
     *
     * @throws OverlappingFileLockException at the call, when this JVM holds or waits for an overlapping lock
     */
    @Override
    public <A> void lock(long position, long size, boolean shared, A attachment,
                         CompletionHandler<FileLock, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        handlers.whenDone(lockAsync(position, size, shared), attachment, handler);
    }

    /**
     * {@inheritDoc} The future completes on the library's pool of blocking calls.
     *
     * @throws OverlappingFileLockException at the call, when this JVM holds or waits for an overlapping lock
     */
    @Override
    public Future<FileLock> lock(long position, long size, boolean shared) {
        return lockAsync(position, size, shared);
    }

    private CompletableFuture<FileLock> lockAsync(long position, long size, boolean shared) {
        checkLockArgs(position, size, shared);
        if (closed.get()) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        return locks.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        checkLockArgs(position, size, shared);
        ensureOpen();
        return locks.tryLock(position, size, shared);
    }

    private void checkLockArgs(long position, long size, boolean shared) {
        if (position < 0 || size < 0 || size > Long.MAX_VALUE - position) {
            throw new IllegalArgumentException("Negative position or size, or they overflow together");
        }
        if (shared && !readable) {
            throw new NonReadableChannelException();
        }
        if (!shared && !writable) {
            throw new NonWritableChannelException();
        }
    }

    @Override
    public <A> void read(ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        handlers.whenDone(read(dst, position), attachment, handler);
    }

    @Override
    public CompletableFuture<Integer> read(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        if (position < 0) {
            throw new IllegalArgumentException("Negative position");
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
        int wanted = dst.remaining();
        CompletableFuture<Integer> refused = refusal("pread", position, wanted);
        if (refused != null) {
            return refused;
        }
        return adapt(file.readAsync(position, dst), n -> n == 0 && wanted > 0 ? -1 : n);
    }

    @Override
    public <A> void write(ByteBuffer src, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        handlers.whenDone(write(src, position), attachment, handler);
    }

    @Override
    public CompletableFuture<Integer> write(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        if (position < 0) {
            throw new IllegalArgumentException("Negative position");
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
        CompletableFuture<Integer> refused = refusal("pwrite", position, src.remaining());
        if (refused != null) {
            return refused;
        }
        return adapt(file.writeAsync(position, src), n -> n);
    }

    /**
     * The failed future of a request the channel refuses without the kernel, or null: a closed channel; bytes
     * past the largest file offset, which the kernel answers with EINVAL (the library refuses them at the
     * call with IllegalArgumentException, the JDK's channel fails the future).
     */
    private CompletableFuture<Integer> refusal(String op, long position, int length) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        if (length > Long.MAX_VALUE - position) {
            return CompletableFuture.failedFuture(new AioIOException(op, file.handle().describe(), position, length,
                    Errno.EINVAL, "the request ends past the largest file offset"));
        }
        return null;
    }

    /** Maps the result, and reports a request cut short by close() as the JDK does. */
    private CompletableFuture<Integer> adapt(CompletableFuture<Integer> request, IntUnaryOperator map) {
        CompletableFuture<Integer> out = new OwnerCompletedFuture<>(context);
        request.whenComplete((n, t) -> {
            if (closed.get()) {
                out.completeExceptionally(new AsynchronousCloseException());
            } else if (t != null) {
                out.completeExceptionally(ChannelHandlers.unwrap(t));
            } else {
                out.complete(map.applyAsInt(n));
            }
        });
        return out;
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Closes the channel: new requests fail with {@link ClosedChannelException}, requests in flight with
     * {@link AsynchronousCloseException} when they complete (the descriptor is closed once they have); locks
     * are released, and waiting ones fail with {@link AsynchronousCloseException}.
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            locks.close(); // before the file: the second descriptor is opened through the file's
        } finally {
            file.close();
            if (defaultContext) {
                DefaultChannelContext.release(context); // its close is graceful: requests in flight finish
            }
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed.get()) {
            throw new ClosedChannelException();
        }
    }

    private static <T> T join(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (CompletionException | CancellationException e) {
            Throwable t = ChannelHandlers.unwrap(e);
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(t);
        }
    }
}

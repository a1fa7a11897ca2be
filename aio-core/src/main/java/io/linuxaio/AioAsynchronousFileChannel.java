package io.linuxaio;

import io.linuxaio.engine.BlockingPool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
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
 * fails with {@link AsynchronousCloseException}. The {@link AioOpenOption#DIRECT} option opens the file
 * with {@code O_DIRECT}.
 *
 * <p>Threads: completion handlers and the returned futures' completions run on the owner thread of the
 * channel's {@link AioContext} (the library's completion thread, or a Netty loop for a loop-bound
 * context): handlers must not block. Every method may be called from any thread.
 *
 * <p>{@link #force} waits for an {@code IOCB_CMD_FSYNC}/{@code FDSYNC} (the flush itself runs in the
 * kernel; a virtual thread calling it parks); {@link #forceAsync} does not wait. {@link #lock} and
 * {@link #tryLock} have no asynchronous form in the kernel: they are POSIX record locks taken through a
 * second descriptor of the same file, on the library's blocking pool. As with every POSIX lock, closing
 * any descriptor of the file in this process releases the process's locks on it.
 */
public final class AioAsynchronousFileChannel extends AsynchronousFileChannel {

    /**
     * The context of the channels opened without one: made for the first of them, closed with the last,
     * so that no kernel context outlives the channels.
     */
    private static final class DefaultContext {
        private static AioContext context;
        private static int users;

        static synchronized AioContext acquire() throws IOException {
            if (context == null) {
                context = AioContext.builder().name("linux-aio-channels").build();
            }
            users++;
            return context;
        }

        static synchronized void release(AioContext c) {
            if (c == context && --users == 0) {
                context = null;
                c.close();
            }
        }
    }

    private final AioFile file;
    private final AioContext sharedContext;
    private final boolean readable;
    private final boolean writable;
    private volatile boolean closed;
    private volatile FileChannel lockChannel;

    private AioAsynchronousFileChannel(AioFile file, AioContext sharedContext, boolean readable, boolean writable) {
        this.file = file;
        this.sharedContext = sharedContext;
        this.readable = readable;
        this.writable = writable;
    }

    /**
     * Opens {@code path} as {@link AsynchronousFileChannel#open(Path, OpenOption...)} does, on a default
     * context shared by the channels opened this way (its completion thread runs the handlers; it is
     * closed with the last of them).
     */
    public static AioAsynchronousFileChannel open(Path path, OpenOption... options) throws IOException {
        Set<OpenOption> set = new HashSet<>();
        for (OpenOption o : options) {
            set.add(Objects.requireNonNull(o, "an open option is null"));
        }
        AioContext shared = DefaultContext.acquire();
        try {
            AioAsynchronousFileChannel ch = open(path, set, shared);
            return new AioAsynchronousFileChannel(ch.file, shared, ch.readable, ch.writable);
        } catch (IOException | RuntimeException e) {
            DefaultContext.release(shared);
            throw e;
        }
    }

    /**
     * Opens {@code path} as {@link AsynchronousFileChannel#open(Path, Set, java.util.concurrent.ExecutorService,
     * FileAttribute[])} does, with requests through {@code context} (whose owner runs the handlers).
     * File attributes are not supported (an {@code UnsupportedOperationException} if any is given).
     */
    public static AioAsynchronousFileChannel open(Path path, Set<? extends OpenOption> options, AioContext context,
                                                  FileAttribute<?>... attrs) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(context, "context");
        if (attrs.length > 0) {
            throw new UnsupportedOperationException("file attributes are not supported: " + attrs[0].name());
        }
        if (options.contains(StandardOpenOption.APPEND)) {
            throw new UnsupportedOperationException("APPEND not allowed"); // as the JDK's channel
        }
        boolean write = options.contains(StandardOpenOption.WRITE);
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        AioFile file = context.open(path, options.toArray(new OpenOption[0]));
        return new AioAsynchronousFileChannel(file, null, read, write);
    }

    /** The file under this channel. */
    public AioFile file() {
        return file;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return file.size();
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
            join(file.truncate(size));
        }
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        join(forceAsync(metaData));
    }

    /** {@link #force} without waiting: {@code fsync} ({@code metaData}) or {@code fdatasync} through AIO. */
    public CompletableFuture<Void> forceAsync(boolean metaData) {
        return metaData ? file.fsync() : file.fdatasync();
    }

    @Override
    public <A> void lock(long position, long size, boolean shared, A attachment,
                         CompletionHandler<FileLock, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        callHandler(lockAsync(position, size, shared), attachment, handler);
    }

    /** Calls {@code handler} when {@code future} completes, as the JDK's channels do. */
    private static <V, A> void callHandler(CompletableFuture<V> future, A attachment, CompletionHandler<V, ? super A> handler) {
        future.whenComplete((v, t) -> {
            if (t != null) {
                handler.failed(unwrap(t), attachment);
            } else {
                handler.completed(v, attachment);
            }
        });
    }

    @Override
    public Future<FileLock> lock(long position, long size, boolean shared) {
        return lockAsync(position, size, shared);
    }

    private CompletableFuture<FileLock> lockAsync(long position, long size, boolean shared) {
        checkLockArgs(position, size, shared);
        CompletableFuture<FileLock> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new ClosedChannelException());
            return f;
        }
        BlockingPool.calls().execute(() -> {
            try {
                FileLock inner = lockChannel().lock(position, size, shared);
                f.complete(new Lock(inner));
            } catch (Throwable t) {
                f.completeExceptionally(closed ? new AsynchronousCloseException() : t);
            }
        });
        return f;
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        checkLockArgs(position, size, shared);
        ensureOpen();
        FileLock inner = lockChannel().tryLock(position, size, shared);
        return inner == null ? null : new Lock(inner);
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

    private FileChannel lockChannel() throws IOException {
        FileChannel ch = lockChannel;
        if (ch == null) {
            synchronized (this) {
                ch = lockChannel;
                if (ch == null) {
                    Set<OpenOption> o = new HashSet<>();
                    if (readable) {
                        o.add(StandardOpenOption.READ);
                    }
                    if (writable) {
                        o.add(StandardOpenOption.WRITE);
                    }
                    ch = FileChannel.open(file.path(), o);
                    lockChannel = ch;
                }
            }
        }
        return ch;
    }

    /** A lock taken through the second descriptor, reported as this channel's. */
    private final class Lock extends FileLock {
        private final FileLock inner;

        Lock(FileLock inner) {
            super(AioAsynchronousFileChannel.this, inner.position(), inner.size(), inner.isShared());
            this.inner = inner;
        }

        @Override
        public boolean isValid() {
            return inner.isValid() && !closed;
        }

        @Override
        public void release() throws IOException {
            if (closed && !inner.isValid()) {
                throw new ClosedChannelException();
            }
            inner.release();
        }
    }

    @Override
    public <A> void read(ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        callHandler(read(dst, position), attachment, handler);
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
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        boolean wanted = dst.hasRemaining();
        return adapt(file.readAsync(position, dst), n -> n == 0 && wanted ? -1 : n);
    }

    @Override
    public <A> void write(ByteBuffer src, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        callHandler(write(src, position), attachment, handler);
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
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        return adapt(file.writeAsync(position, src), n -> n);
    }

    /** Maps the result, and reports a request cut short by close() as the JDK does. */
    private CompletableFuture<Integer> adapt(CompletableFuture<Integer> request, IntUnaryOperator map) {
        CompletableFuture<Integer> out = new CompletableFuture<>();
        request.whenComplete((n, t) -> {
            if (closed) {
                out.completeExceptionally(new AsynchronousCloseException());
            } else if (t != null) {
                out.completeExceptionally(unwrap(t));
            } else {
                out.complete(map.applyAsInt(n));
            }
        });
        return out;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Closes the channel: new requests fail with {@link ClosedChannelException}, requests in flight with
     * {@link AsynchronousCloseException} when they complete; the descriptor is closed once they have.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        file.close();
        FileChannel ch = lockChannel;
        if (ch != null) {
            ch.close();
        }
        if (sharedContext != null) {
            // the shared context closes once this file's requests are done, if no other channel uses it
            file.closeFuture().whenComplete((v, t) -> DefaultContext.release(sharedContext));
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T> T join(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (CompletionException | CancellationException e) {
            Throwable t = unwrap(e);
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

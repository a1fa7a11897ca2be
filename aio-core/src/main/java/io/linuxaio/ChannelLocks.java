package io.linuxaio;

import io.linuxaio.engine.BlockingPool;

import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The file locks of one {@link AioAsynchronousFileChannel}. The kernel has no asynchronous lock, so they are
 * POSIX record locks taken through the JDK's own {@link AsynchronousFileChannel} on a second descriptor of
 * the same file, whose waits run on the library's pool of blocking calls. Being the JDK's, its locks are in
 * the JVM's lock table with {@code FileChannel}'s: a lock that overlaps one this JVM holds or waits for
 * throws {@code OverlappingFileLockException} at the call, and closing it wakes a waiting lock (which fails
 * with {@code AsynchronousCloseException}) and takes its locks out of the table. Any thread.
 *
 * <p>The second descriptor is opened at the first lock, on the calling thread, through
 * {@code /proc/self/fd} (the same file even if its path has been renamed or removed), under the monitor that
 * {@link #close} takes: a lock that races {@code close} either has its descriptor closed by it or is refused.
 */
final class ChannelLocks {

    private final AioAsynchronousFileChannel channel;
    private final AioFile file;
    private final boolean readable;
    private final boolean writable;
    /** Guarded by this. */
    private AsynchronousFileChannel second;
    private boolean closed;

    ChannelLocks(AioAsynchronousFileChannel channel, AioFile file, boolean readable, boolean writable) {
        this.channel = channel;
        this.file = file;
        this.readable = readable;
        this.writable = writable;
    }

    /**
     * A lock: the future completes on the pool of blocking calls (so that a handler may wait for it on the
     * owner thread). A lock that arrives after its future was cancelled is released.
     */
    CompletableFuture<FileLock> lock(long position, long size, boolean shared) {
        CompletableFuture<FileLock> future = new CompletableFuture<>();
        AsynchronousFileChannel ch;
        try {
            ch = second();
        } catch (IOException e) {
            future.completeExceptionally(e);
            return future;
        }
        ch.lock(position, size, shared, null, new CompletionHandler<FileLock, Object>() {
            @Override
            public void completed(FileLock inner, Object attachment) {
                if (!future.complete(new Lock(inner))) {
                    try {
                        inner.release(); // nobody can receive it any more
                    } catch (IOException ignored) {
                        // closed meanwhile: the close released it
                    }
                }
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                future.completeExceptionally(exc);
            }
        });
        return future;
    }

    /** A lock if it is free now, else null; on the calling thread. */
    FileLock tryLock(long position, long size, boolean shared) throws IOException {
        FileLock inner = second().tryLock(position, size, shared);
        return inner == null ? null : new Lock(inner);
    }

    /** Releases the locks, fails the waiting ones and closes the second descriptor. Idempotent. */
    void close() throws IOException {
        AsynchronousFileChannel ch;
        synchronized (this) {
            closed = true;
            ch = second;
        }
        if (ch != null) {
            ch.close();
        }
    }

    private synchronized AsynchronousFileChannel second() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (second == null) {
            Set<OpenOption> options = new HashSet<>();
            if (readable) {
                options.add(StandardOpenOption.READ);
            }
            if (writable) {
                options.add(StandardOpenOption.WRITE);
            }
            second = file.handle().withDescriptor(fd ->
                    AsynchronousFileChannel.open(Path.of("/proc/self/fd/" + fd), options, BlockingPool.calls()));
        }
        return second;
    }

    /** A lock taken through the second descriptor, reported as the channel's. */
    private final class Lock extends FileLock {
        private final FileLock inner;

        Lock(FileLock inner) {
            super(channel, inner.position(), inner.size(), inner.isShared());
            this.inner = inner;
        }

        @Override
        public boolean isValid() {
            return inner.isValid();
        }

        @Override
        public void release() throws IOException {
            inner.release();
        }
    }
}

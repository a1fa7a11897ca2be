package io.linuxaio.netty.http;

import io.linuxaio.AioFile;
import io.linuxaio.abi.CacheStat;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import io.netty.channel.Channel;
import io.netty.channel.FileRegion;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.AbstractReferenceCounted;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.WritableByteChannel;

/**
 * A piece of the tail of a file the page cache holds, sent with {@code sendfile(2)} from the file's own
 * descriptor to the socket: no copy through the JVM, no buffer, as nginx sends. Written on an epoll socket
 * channel's loop, which calls {@link #transferTo} as the socket takes bytes. Loop thread.
 *
 * <p>Only for a range that reaches the end of the file, at most {@link #MAX_TAIL} long, on a pipeline with no
 * {@code SslHandler}, and whose every page {@code cachestat(2)} found in the cache a moment before
 * ({@link #applies}). {@code sendfile} does not take {@code RWF_NOWAIT}, so it waits where a page is not
 * ready: a page evicted between the check and the call, or one another request is still reading in
 * ({@code cachestat} counts it), is waited for on the loop; and a range short of the end could meet the
 * kernel's readahead mark and start the next window there, which is why only tails are sent this way.
 * A tail is written as pieces of at most {@link #PIECE} bytes, so that the send timeout sees progress.
 *
 * <p>The region does not own the file: the response's lease keeps it open until the write's future completes.
 */
final class CachedFileRegion extends AbstractReferenceCounted implements FileRegion {

    /**
     * The longest tail sent this way: its residency check walks the page cache's entries for the range on
     * the loop (about 46 ns a page here, so 90 us for 8 MiB); longer tails go through AIO.
     */
    static final long MAX_TAIL = 8L << 20;
    /** The bytes of one region written: each one's promise tells the send timeout that bytes moved. */
    static final long PIECE = 1L << 20;

    /** Per loop thread: the {@code off_t} of sendfile, and the structs of cachestat. */
    private static final class Scratch {
        final MemorySegment offset;
        final MemorySegment range;
        final MemorySegment stat;

        Scratch() {
            Arena arena = Arena.ofAuto();
            offset = arena.allocate(ValueLayout.JAVA_LONG);
            range = arena.allocate(CacheStat.RANGE);
            stat = arena.allocate(CacheStat.LAYOUT);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int socketFd;
    private final AioFile file;
    private final long position;
    private final long count;
    private long transferred;

    private CachedFileRegion(int socketFd, AioFile file, long position, long count) {
        this.socketFd = socketFd;
        this.file = file;
        this.position = position;
        this.count = count;
    }

    /**
     * Whether {@code [from, size)} of {@code file} can be sent this way on {@code ch}: what sendfile needs
     * ({@link PooledSendfile#applies}: an epoll socket, whose writes hand a region to {@link #transferTo}, without
     * TLS, and a buffered file), a tail of at most {@link #MAX_TAIL}, and every page of the range cached.
     */
    static boolean applies(Channel ch, AioFile file, long from, long size) {
        if (!PooledSendfile.applies(ch, file) || !CacheStat.isAvailable() || from >= size || size - from > MAX_TAIL) {
            return false;
        }
        Scratch s = SCRATCH.get();
        long pages = CacheStat.cachedPages(file.fd(), from, size - from, s.range, s.stat);
        return pages >= CacheStat.pagesSpanned(from, size - from);
    }

    /** {@return a region of {@code count} bytes of {@code file} from {@code position}, for {@code ch}} */
    static CachedFileRegion of(Channel ch, AioFile file, long position, long count) {
        return new CachedFileRegion(((EpollSocketChannel) ch).fd().intValue(), file, position, count);
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    /**
     * Sends what the socket takes now, from {@code this.position + position}: the count, or 0 when the
     * socket's buffer is full (the channel then waits until it is writable).
     */
    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long left = count - position;
        if (left <= 0) {
            return 0;
        }
        if (!file.isOpen()) {
            throw new IOException("sendfile of " + file.path() + ": the file is closed");
        }
        MemorySegment offset = SCRATCH.get().offset;
        offset.set(ValueLayout.JAVA_LONG, 0, this.position + position);
        long r;
        do {
            r = LibC.sendfile(socketFd, file.fd(), offset, left);
        } while (r == -Errno.EINTR);
        if (r == -Errno.EAGAIN) {
            return 0;
        }
        if (r < 0) {
            throw new ErrnoException("sendfile", (int) -r, file.path() + " at " + (this.position + position));
        }
        if (r == 0) {
            throw new IOException("sendfile of " + file.path() + ": the file ended at " + (this.position + position)
                    + ", before the " + count + " bytes the response announced");
        }
        transferred += r;
        return r;
    }

    @Override
    protected void deallocate() {
        // the file belongs to the response's lease
    }

    @Override
    public CachedFileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public CachedFileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public CachedFileRegion touch() {
        return this;
    }

    @Override
    public CachedFileRegion touch(Object hint) {
        return this;
    }
}

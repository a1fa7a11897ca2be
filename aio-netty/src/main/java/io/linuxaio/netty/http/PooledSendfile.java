package io.linuxaio.netty.http;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslHandler;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Sends a range of a file to an epoll socket with {@code sendfile(2)} made on the library's blocking pool
 * ({@link AioContext#supplyBlocking}), as nginx does with {@code aio threads} and {@code sendfile on}: the
 * pool thread waits for the disk where a page is not cached, and the bytes go from the page cache to the
 * socket with no copy through the JVM. The event loop does neither the copy nor the socket's send, which on
 * loopback also runs the receiver's TCP input: a loop serving 8 cold 64 MiB downloads through AIO spent
 * all of a core on them, while its small requests waited.
 *
 * <p>The socket is the channel's, duplicated ({@code F_DUPFD_CLOEXEC}) for the transfer: a pool thread
 * writes to a descriptor of its own, so that a channel closed meanwhile (by the client, or a timeout) never
 * lets the number be reused under it; the duplicate is closed when the transfer ends. The socket is
 * non-blocking: when its buffer is full the call answers what it sent, and the transfer waits for room with
 * an AIO poll ({@link AioContext#poll}, on the loop's context) before the next call. A call sends at most
 * {@link #CALL_BYTES}, nginx's {@code sendfile_max_chunk}, so that a thread of the shared pool is held at
 * most for that much disk. The response head must be on the socket before the transfer starts, and nothing
 * else is written to the channel until it ends (the connection answers one request at a time); each call
 * that sends bytes tells the send timeout that the response moves.
 *
 * <p>State is touched on the channel's event loop only (the context's owner); the pool thread makes the
 * system calls and touches nothing else.
 */
final class PooledSendfile {

    /** The most one call sends: nginx's default {@code sendfile_max_chunk}, 2 MiB. */
    static final long CALL_BYTES = 2L << 20;

    private final Channel channel;
    private final AioContext context;
    private final AioFile file;
    private final HttpTimeouts timeouts;
    private final long end;
    private final long length;
    private final CompletableFuture<Long> result = new CompletableFuture<>();
    private final ChannelFutureListener onClose = f -> closed();
    /** The {@code off_t} the pool thread's calls advance. */
    private final MemorySegment offset = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
    private int socket = -1;
    private long position;
    /** A pool call or a poll is under way: the descriptor stays open until it returns. */
    private boolean waiting;
    private CompletableFuture<Integer> poll;
    private boolean finished;

    private PooledSendfile(Channel channel, AioContext context, AioFile file, HttpTimeouts timeouts, long position,
                           long length) {
        this.channel = channel;
        this.context = context;
        this.file = file;
        this.timeouts = timeouts;
        this.position = position;
        this.end = position + length;
        this.length = length;
    }

    /**
     * Whether a body can go this way on {@code ch}: an epoll socket channel without TLS (the kernel must see
     * the bytes as they are) and a buffered file (sendfile reads through the page cache).
     */
    static boolean applies(Channel ch, AioFile file) {
        return ch instanceof EpollSocketChannel && !file.isDirect() && ch.pipeline().get(SslHandler.class) == null;
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code position}; the channel's output must be empty
     * (call it once the head's write has completed). On the channel's loop.
     *
     * @return completes on the loop with {@code length}, or fails: the channel closed, a call failed, or the
     *         file ended before the range did
     */
    static CompletableFuture<Long> send(Channel ch, AioContext context, AioFile file, HttpTimeouts timeouts,
                                        long position, long length) {
        PooledSendfile t = new PooledSendfile(ch, context, file, timeouts, position, length);
        t.start();
        return t.result;
    }

    private void start() {
        if (!channel.isActive()) {
            result.completeExceptionally(new ClosedChannelException());
            return;
        }
        int fd = LibC.fcntl(((EpollSocketChannel) channel).fd().intValue(), LibC.F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            result.completeExceptionally(new ErrnoException("fcntl(F_DUPFD_CLOEXEC)", -fd,
                    "duplicating the socket of " + channel + " to send " + file.path()));
            return;
        }
        socket = fd;
        channel.closeFuture().addListener(onClose);
        if (timeouts != null) {
            timeouts.sendStarted();
        }
        call();
    }

    /** The next call on the pool. */
    private void call() {
        if (!channel.isActive()) {
            end(new ClosedChannelException());
            return;
        }
        long count = Math.min(CALL_BYTES, end - position);
        long from = position;
        int out = socket;
        int in = file.fd();
        waiting = true;
        CompletableFuture<Long> sent;
        try {
            sent = context.supplyBlocking(() -> sendfile(out, in, from, count));
        } catch (RuntimeException e) {
            waiting = false;
            end(e);
            return;
        }
        sent.whenComplete(this::called);
    }

    /** On a pool thread: sends until {@code count} bytes are out or the socket is full; the bytes sent, or {@code -errno}. */
    private long sendfile(int out, int in, long from, long count) {
        offset.set(ValueLayout.JAVA_LONG, 0, from);
        long done = 0;
        while (done < count) {
            long r = LibC.sendfile(out, in, offset, count - done);
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r == -Errno.EAGAIN) {
                break; // the socket's buffer is full: the loop waits for room
            }
            if (r < 0) {
                return done > 0 ? done : r;
            }
            if (r == 0) {
                return done > 0 ? done : 0; // the end of the file
            }
            done += r;
        }
        return done == 0 ? -Errno.EAGAIN : done;
    }

    /** Back on the loop with the call's count. */
    private void called(Long r, Throwable error) {
        waiting = false;
        if (error != null) {
            end(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            return;
        }
        if (finished) {
            end(null);
            return;
        }
        long n = r;
        if (n > 0) {
            position += n;
            if (timeouts != null) {
                timeouts.sendProgressed();
            }
            if (position == end) {
                end(null);
            } else {
                call();
            }
        } else if (n == -Errno.EAGAIN) {
            awaitRoom();
        } else if (n == 0) {
            end(new EOFException(file.path() + " ended at " + position + " while " + end
                    + " bytes were to be sent (the file shrank during the transfer)"));
        } else {
            end(new ErrnoException("sendfile", (int) -n, file.path() + " at " + position + " to " + channel));
        }
    }

    private void awaitRoom() {
        if (!channel.isActive()) {
            end(new ClosedChannelException());
            return;
        }
        waiting = true;
        try {
            poll = context.poll(socket, AioAbi.POLLOUT);
        } catch (RuntimeException e) {
            waiting = false;
            end(e);
            return;
        }
        poll.whenComplete((events, error) -> {
            waiting = false;
            poll = null;
            if (error != null || finished) {
                end(error instanceof CancellationException || error == null ? new ClosedChannelException()
                        : error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
                return;
            }
            call(); // POLLERR or POLLHUP too: the call reports the socket's error
        });
    }

    /** The channel closed: stop at the next step, and now if a poll is all that is under way. */
    private void closed() {
        if (finished) {
            return;
        }
        finished = true;
        if (poll != null) {
            poll.cancel(false); // its completion ends the transfer
        } else if (!waiting) {
            end(null);
        }
    }

    /**
     * Ends the transfer once nothing is under way: the duplicate closed, the send timeout told, the result
     * completed (with the failure, or a closed channel's).
     */
    private void end(Throwable failure) {
        if (socket < 0) {
            return; // ended already
        }
        finished = true;
        channel.closeFuture().removeListener(onClose);
        LibC.close(socket);
        socket = -1;
        if (timeouts != null) {
            timeouts.sendEnded();
        }
        if (failure == null && position < end) {
            failure = new ClosedChannelException();
        }
        if (failure == null) {
            result.complete(length);
        } else {
            result.completeExceptionally(failure instanceof IOException || failure instanceof RuntimeException
                    || failure instanceof Error ? failure : new IOException(failure));
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.AioFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;

import java.io.EOFException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a byte range of an {@link AioFile} to a {@link Channel} without blocking its event loop: reads a
 * bounded number of chunks ahead through AIO into direct buffers of Netty's {@link PooledByteBufAllocator}
 * and writes each, in order, as it arrives.
 *
 * <p>Memory is bounded by {@code readAhead} chunks per transfer: a chunk is read only while fewer than
 * {@code readAhead} chunks are being read or are written but not yet on the socket, and only while the
 * channel is writable, so a slow client holds back the reads instead of filling memory. If the channel
 * closes mid-transfer, every buffer is released (those still being read when their read completes) and
 * the future fails with {@link ClosedChannelException}.
 *
 * <p>All the transfer's work runs on the channel's event loop; read completions that arrive on another
 * thread (a file whose context belongs to another loop) are handed to it. The chunks are written as plain
 * {@code ByteBuf}s: before an HTTP body, send the response head; after it, the last content. Any thread.
 */
public final class AioFileTransfer {

    /** The chunk size of {@link #send(Channel, AioFile, long, long)}: 64 KiB. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    /** The read-ahead of {@link #send(Channel, AioFile, long, long)}: 4 chunks. */
    public static final int DEFAULT_READ_AHEAD = 4;

    private AioFileTransfer() {
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code position} to {@code channel} with the default
     * chunk size and read-ahead.
     *
     * @param channel the channel
     * @param file the file
     * @param position where the bytes start
     * @param length how many bytes
     * @return completes with the bytes written to the channel (on its loop), or fails: the channel closed,
     *         a read failed, or the file ended before {@code position + length}
     * @throws IllegalArgumentException for a negative position or length, or an {@code O_DIRECT} file whose
     *         alignment the position or the chunk size does not meet
     */
    public static CompletableFuture<Long> send(Channel channel, AioFile file, long position, long length) {
        return send(channel, file, position, length, DEFAULT_CHUNK_SIZE, DEFAULT_READ_AHEAD);
    }

    /**
     * As {@link #send(Channel, AioFile, long, long)} with the given chunk size and read-ahead.
     *
     * @param channel the channel
     * @param file the file
     * @param position where the bytes start
     * @param length how many bytes
     * @param chunkSize the bytes of one read and one write
     * @param readAhead how many chunks may be read or waiting for the socket at once
     * @return completes with the bytes written to the channel (on its loop), or fails: the channel closed,
     *         a read failed, or the file ended before {@code position + length}
     * @throws IllegalArgumentException for a negative position or length, a chunk size or read-ahead that is
     *         not positive, or an {@code O_DIRECT} file whose alignment the position or the chunk size does not meet
     */
    public static CompletableFuture<Long> send(Channel channel, AioFile file, long position, long length,
                                               int chunkSize, int readAhead) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(file, "file");
        if (position < 0 || length < 0 || length > Long.MAX_VALUE - position) {
            throw new IllegalArgumentException("bad range: position " + position + ", length " + length);
        }
        if (chunkSize <= 0 || readAhead <= 0) {
            throw new IllegalArgumentException("chunkSize " + chunkSize + " and readAhead " + readAhead + " must be positive");
        }
        if (file.isDirect()) {
            int align = file.alignment().offsetAlignment();
            if (position % align != 0 || chunkSize % align != 0) {
                throw new IllegalArgumentException("an O_DIRECT file needs a position and a chunk size that are multiples of "
                        + align + "; got position " + position + ", chunk size " + chunkSize);
            }
        }
        Transfer t = new Transfer(channel, file, position, length, chunkSize, readAhead);
        if (channel.eventLoop().inEventLoop()) {
            t.start();
        } else {
            channel.eventLoop().execute(t::start);
        }
        return t.result;
    }

    /**
     * As {@link #send(Channel, AioFile, long, long)} in Netty's form: the transfer completes {@code promise}
     * (success once every byte is written to the promise's channel, or the failure), and returns it, so that
     * listeners and {@code ChannelFuture} code compose with it.
     *
     * @param promise the promise of the channel the bytes go to
     * @param file the file
     * @param position where the bytes start
     * @param length how many bytes
     * @return {@code promise}
     * @throws IllegalArgumentException as {@link #send(Channel, AioFile, long, long)}
     */
    public static ChannelFuture send(ChannelPromise promise, AioFile file, long position, long length) {
        Objects.requireNonNull(promise, "promise");
        CompletableFuture<Long> sent;
        try {
            sent = send(promise.channel(), file, position, length);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            promise.tryFailure(e); // the channel's loop has shut down
            return promise;
        }
        sent.whenComplete((n, t) -> {
            if (t == null) {
                promise.trySuccess();
            } else {
                promise.tryFailure(t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t);
            }
        });
        return promise;
    }

    private static final class Chunk {
        final ByteBuf buf;
        final long position;
        final int length;
        boolean done;
        int count;
        Throwable error;

        Chunk(ByteBuf buf, long position, int length) {
            this.buf = buf;
            this.position = position;
            this.length = length;
        }
    }

    /** The state of one transfer; touched only on the channel's event loop. */
    private static final class Transfer implements ChannelFutureListener {
        final Channel channel;
        final AioFile file;
        final long end;
        final long length;
        final int chunkSize;
        final int readAhead;
        final CompletableFuture<Long> result = new CompletableFuture<>();
        final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
        long nextRead;
        long written;
        int writesPending;
        boolean finished;

        Transfer(Channel channel, AioFile file, long position, long length, int chunkSize, int readAhead) {
            this.channel = channel;
            this.file = file;
            this.nextRead = position;
            this.end = position + length;
            this.length = length;
            this.chunkSize = chunkSize;
            this.readAhead = readAhead;
        }

        void start() {
            if (!channel.isActive()) {
                fail(new ClosedChannelException());
                return;
            }
            // no listener on the channel's close future: a keep-alive connection carries many transfers and their
            // listeners would pile up there; a closed channel fails the next write, which ends the transfer
            pump();
        }

        /** Writes the chunks that arrived, in order, then starts reads while the bounds allow. */
        void pump() {
            if (finished) {
                return;
            }
            boolean flush = false;
            while (!chunks.isEmpty() && chunks.peekFirst().done) {
                Chunk c = chunks.pollFirst();
                if (c.error != null) {
                    c.buf.release();
                    fail(c.error);
                    return;
                }
                if (c.count < c.length) {
                    c.buf.release();
                    fail(new EOFException(file.path() + " ended at " + (c.position + c.count) + " while " + end
                            + " bytes were to be sent (the file shrank during the transfer)"));
                    return;
                }
                written += c.count;
                writesPending++;
                channel.write(c.buf).addListener(this);
                flush = true;
            }
            if (flush) {
                channel.flush();
            }
            if (written == length && writesPending == 0) {
                finished = true;
                result.complete(written);
                return;
            }
            while (nextRead < end && chunks.size() + writesPending < readAhead
                    && (channel.isWritable() || chunks.size() + writesPending == 0)) {
                int len = (int) Math.min(chunkSize, end - nextRead);
                // Netty's pooled allocator whatever the channel's: chunks are recycled across transfers
                // (freeing memory of the adaptive allocator closes shared arenas, a JVM-wide pause on JDK 25)
                ByteBuf buf = file.isDirect()
                        ? AioByteBufs.allocateAligned(PooledByteBufAllocator.DEFAULT, file, len)
                        : PooledByteBufAllocator.DEFAULT.directBuffer(len, len);
                Chunk c = new Chunk(buf, nextRead, len);
                chunks.addLast(c);
                nextRead += len;
                CompletableFuture<Integer> read;
                try {
                    read = AioByteBufs.readAsync(file, c.position, buf, len);
                } catch (RuntimeException e) {
                    chunks.removeLast();
                    buf.release();
                    fail(e);
                    return;
                }
                read.whenComplete((n, err) -> deliver(c, n, err));
            }
        }

        void arrived(Chunk c, Integer n, Throwable err) {
            if (finished) {
                c.buf.release(); // the transfer failed while this read was in flight
                return;
            }
            c.done = true;
            c.count = n == null ? 0 : n;
            c.error = err;
            pump();
        }

        /** A write reached the socket, or failed. */
        @Override
        public void operationComplete(ChannelFuture f) {
            writesPending--;
            if (!f.isSuccess()) {
                fail(f.cause());
                return;
            }
            pump();
        }

        void fail(Throwable cause) {
            if (finished) {
                return;
            }
            finished = true;
            // reads still in flight release their buffers when they complete (arrived() sees finished)
            for (Chunk pending : chunks) {
                if (pending.done) {
                    pending.buf.release();
                }
            }
            chunks.clear();
            result.completeExceptionally(cause);
        }

        /** A read completed, on whatever thread owns the file's context: continue on the channel's loop. */
        void deliver(Chunk c, Integer n, Throwable err) {
            if (channel.eventLoop().inEventLoop()) {
                arrived(c, n, err);
                return;
            }
            try {
                channel.eventLoop().execute(() -> arrived(c, n, err));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the channel's loop is gone: nothing will write this chunk
                c.buf.release();
                result.completeExceptionally(new ClosedChannelException());
            }
        }
    }
}

package io.linuxaio.netty;

import io.linuxaio.AioFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * A byte range of an {@link AioFile} as a Netty {@link ChunkedInput}: it stands wherever
 * {@code ChunkedNioFile} does (behind a {@link ChunkedWriteHandler}, inside {@code HttpChunkedInput} or
 * {@code Http2DataChunkedInput}) without ever reading on the event loop. {@link #readChunk} hands out a
 * chunk the kernel has already read, or returns null while reads are in flight; when one completes, the
 * transfer is resumed ({@link ChunkedWriteHandler#resumeTransfer()}). At most {@code readAhead} chunks are
 * read or waiting. Runs on the channel's event loop: {@code ChunkedWriteHandler} calls it there, and
 * completions that arrive on another thread (a file of another loop's context) are handed to it.
 */
public final class AioChunkedFile implements ChunkedInput<ByteBuf> {

    /** The chunk size by default, as {@code ChunkedNioFile}'s. */
    public static final int DEFAULT_CHUNK_SIZE = 8192;
    /** Chunks read ahead by default. */
    public static final int DEFAULT_READ_AHEAD = 4;

    private final Channel channel;
    private final AioFile file;
    private final long start;
    private final long end;
    private final int chunkSize;
    private final int readAhead;
    /** Chunks read, in order, not yet handed out. Loop thread. */
    private final ArrayDeque<ByteBuf> ready = new ArrayDeque<>();
    /** The next offset to ask the kernel for, and the next to hand out. Loop thread. */
    private long nextRead;
    private long handedOut;
    private int inFlight;
    private Throwable failure;
    private boolean closed;
    /**
     * Inside {@link #readChunk}: a read that lands now (a request refused at once completes in the caller)
     * is seen by that call, and must not resume the transfer, as {@code ChunkedWriteHandler} is not
     * re-entrant. Loop thread.
     */
    private boolean inReadChunk;

    /**
     * The whole file, as long as it is now, in chunks of {@link #DEFAULT_CHUNK_SIZE}, at most
     * {@link #DEFAULT_READ_AHEAD} chunks read or waiting, for {@code channel}.
     *
     * @param channel the channel the chunks are written to; its pipeline holds a {@link ChunkedWriteHandler}
     * @param file the file to read; it stays open when this input is closed
     * @throws IOException when the file's size cannot be read ({@code statx} fails or the file is closed)
     */
    public AioChunkedFile(Channel channel, AioFile file) throws IOException {
        this(channel, file, 0, file.size(), DEFAULT_CHUNK_SIZE, DEFAULT_READ_AHEAD);
    }

    /**
     * {@code length} bytes from {@code offset}, in chunks of {@code chunkSize}, at most {@code readAhead}
     * chunks read or waiting, for {@code channel} (whose pipeline holds a {@link ChunkedWriteHandler}).
     *
     * @param channel the channel the chunks are written to
     * @param file the file to read; it stays open when this input is closed
     * @param offset the first byte of the range, {@code >= 0}
     * @param length the bytes in the range, {@code >= 0}; the range must not pass {@code Long.MAX_VALUE}
     * @param chunkSize the most bytes in one chunk, {@code > 0}
     * @param readAhead the most chunks read or waiting at once, {@code > 0}
     * @throws IllegalArgumentException when one of the numbers is out of range
     */
    public AioChunkedFile(Channel channel, AioFile file, long offset, long length, int chunkSize, int readAhead) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.file = Objects.requireNonNull(file, "file");
        if (offset < 0 || length < 0 || length > Long.MAX_VALUE - offset) {
            throw new IllegalArgumentException("offset " + offset + " and length " + length + " must be >= 0 and not overflow");
        }
        if (chunkSize <= 0 || readAhead <= 0) {
            throw new IllegalArgumentException("chunkSize " + chunkSize + " and readAhead " + readAhead + " must be positive");
        }
        this.start = offset;
        this.end = offset + length;
        this.chunkSize = chunkSize;
        this.readAhead = readAhead;
        this.nextRead = offset;
        this.handedOut = offset;
    }

    @Override
    public boolean isEndOfInput() {
        return closed || (handedOut >= end && ready.isEmpty());
    }

    @Override
    @Deprecated
    public ByteBuf readChunk(io.netty.channel.ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    /** A chunk the kernel has read, or null while reads are in flight (the transfer resumes when one lands). */
    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        ByteBuf chunk;
        inReadChunk = true;
        try {
            chunk = failure == null ? ready.poll() : null;
            fill(allocator);
            if (chunk == null && failure == null) {
                chunk = ready.poll(); // landed during fill
            }
        } finally {
            inReadChunk = false;
        }
        if (chunk != null) {
            handedOut += chunk.readableBytes();
            return chunk;
        }
        if (failure != null) {
            Throwable t = failure;
            failure = null;
            throw t instanceof Exception e ? e : new IOException(t);
        }
        return null;
    }

    /** Starts reads until {@code readAhead} chunks are read or in flight. Loop thread. */
    private void fill(ByteBufAllocator allocator) {
        while (!closed && failure == null && nextRead < end && inFlight + ready.size() < readAhead) {
            int n = (int) Math.min(chunkSize, end - nextRead);
            long position = nextRead;
            nextRead += n;
            ByteBuf buf = allocator.directBuffer(n, n);
            inFlight++;
            AioByteBufs.readAsync(file, position, buf, n).whenComplete((count, err) -> {
                if (channel.eventLoop().inEventLoop()) {
                    landed(buf, n, err);
                    return;
                }
                try {
                    channel.eventLoop().execute(() -> landed(buf, n, err));
                } catch (RejectedExecutionException e) {
                    buf.release(); // the channel's loop is gone (a completion delivered by a teardown): nobody takes it
                }
            });
        }
    }

    private void landed(ByteBuf buf, int expected, Throwable err) {
        inFlight--;
        if (closed) {
            buf.release(); // the kernel is done with it now, and nobody will take it
            return;
        }
        if (err == null && buf.readableBytes() < expected) {
            err = new IOException(file.path() + " ended before the range did: the file shrank during the transfer");
        }
        if (err instanceof CompletionException && err.getCause() != null) {
            err = err.getCause(); // the request's own failure, as the file reported it
        }
        if (err != null) {
            buf.release();
            failure = err;
        } else {
            ready.add(buf);
        }
        ChunkedWriteHandler writer = inReadChunk ? null : channel.pipeline().get(ChunkedWriteHandler.class);
        if (writer != null) {
            writer.resumeTransfer();
        }
    }

    @Override
    public long length() {
        return end - start;
    }

    @Override
    public long progress() {
        return handedOut - start;
    }

    /**
     * Releases the chunks not handed out; chunks the kernel is still filling are released when it is done.
     * The file stays open (it is the caller's). Loop thread, as {@code ChunkedWriteHandler} calls it.
     */
    @Override
    public void close() {
        closed = true;
        ByteBuf b;
        while ((b = ready.poll()) != null) {
            b.release();
        }
    }

    @Override
    public String toString() {
        return "AioChunkedFile[" + file.path() + ", " + start + ".." + end + ", progress " + progress() + "]";
    }
}

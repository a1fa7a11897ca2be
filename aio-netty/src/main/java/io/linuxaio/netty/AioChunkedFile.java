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
    /**
     * The chunks asked for and not yet handed out, in file order: reads may land in another order (the
     * blocking pool runs several at once), chunks are handed out in this one. Loop thread.
     */
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    /** The next offset to ask the kernel for, and the next to hand out. Loop thread. */
    private long nextRead;
    private long handedOut;
    /** A read failed: no more are started, and the failure is thrown when its chunk's turn comes. */
    private boolean readFailed;
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
        return closed || (handedOut >= end && chunks.isEmpty());
    }

    @Override
    @Deprecated
    public ByteBuf readChunk(io.netty.channel.ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    /**
     * The next chunk in file order if the kernel has read it, or null while it is being read (the transfer
     * resumes when it lands).
     *
     * @throws Exception the failure of the read of this chunk
     */
    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        inReadChunk = true;
        try {
            ByteBuf chunk = takeHead();
            fill(allocator);
            return chunk != null ? chunk : takeHead(); // it may have landed during fill
        } finally {
            inReadChunk = false;
        }
    }

    /** The first chunk if it has landed, else null; its read's failure if it failed. Loop thread. */
    private ByteBuf takeHead() throws Exception {
        Chunk head = chunks.peekFirst();
        if (head == null || !head.landed) {
            return null;
        }
        chunks.pollFirst();
        if (head.failure != null) {
            Throwable t = head.failure;
            throw t instanceof Exception e ? e : new IOException(t);
        }
        handedOut += head.buf.readableBytes();
        return head.buf;
    }

    /** Starts reads until {@code readAhead} chunks are read or in flight. Loop thread. */
    private void fill(ByteBufAllocator allocator) {
        while (!closed && !readFailed && nextRead < end && chunks.size() < readAhead) {
            int n = (int) Math.min(chunkSize, end - nextRead);
            long position = nextRead;
            nextRead += n;
            Chunk c = new Chunk(allocator.directBuffer(n, n), n);
            chunks.addLast(c);
            AioByteBufs.readAsync(file, position, c.buf, n).whenComplete((count, err) -> {
                if (channel.eventLoop().inEventLoop()) {
                    landed(c, err);
                    return;
                }
                try {
                    channel.eventLoop().execute(() -> landed(c, err));
                } catch (RejectedExecutionException e) {
                    c.buf.release(); // the channel's loop is gone (a completion delivered by a teardown): nobody takes it
                }
            });
        }
    }

    private void landed(Chunk c, Throwable err) {
        if (closed) {
            c.buf.release(); // the kernel is done with it now, and nobody will take it
            return;
        }
        if (err == null && c.buf.readableBytes() < c.expected) {
            err = new IOException(file.path() + " ended before the range did: the file shrank during the transfer");
        }
        if (err instanceof CompletionException && err.getCause() != null) {
            err = err.getCause(); // the request's own failure, as the file reported it
        }
        c.landed = true;
        if (err != null) {
            c.buf.release();
            c.failure = err;
            readFailed = true;
        }
        ChunkedWriteHandler writer = inReadChunk || chunks.peekFirst() != c ? null
                : channel.pipeline().get(ChunkedWriteHandler.class);
        if (writer != null) { // the next chunk to hand out is here
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
        for (Chunk c : chunks) {
            if (c.landed && c.failure == null) {
                c.buf.release();
            } // else released when it lands, or already (a failed read)
        }
        chunks.clear();
    }

    @Override
    public String toString() {
        return "AioChunkedFile[" + file.path() + ", " + start + ".." + end + ", progress " + progress() + "]";
    }

    /** One read of the transfer, in file order. Loop thread. */
    private static final class Chunk {
        final ByteBuf buf;
        final int expected;
        boolean landed;
        Throwable failure;

        Chunk(ByteBuf buf, int expected) {
            this.buf = buf;
            this.expected = expected;
        }
    }
}

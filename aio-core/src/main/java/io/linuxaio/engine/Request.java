package io.linuxaio.engine;

import java.util.concurrent.CompletableFuture;

/**
 * A request made off the owner thread (handed to the owner as a task), or waiting for a free slot.
 * Made on any thread; run, started and failed on the owner thread. A request made on the owner thread
 * with a slot free never becomes one of these: it goes straight into a slot, without an allocation.
 */
final class Request implements Runnable {

    private final Engine engine;
    final FileHandle file;
    final int fd;
    final Op op;
    final BufferKind bufferKind;
    final long position;
    final long length;
    final long arg;
    final Object attachment;
    final int rwFlags;
    final int ioprio;
    final CompletableFuture<?> future;
    /** The request's JFR event, begun when it was made; null while JFR does not record it. */
    final RequestEvent event;

    Request(Engine engine, FileHandle file, int fd, Op op, BufferKind bufferKind, long position, long length, long arg,
            Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future, RequestEvent event) {
        this.engine = engine;
        this.file = file;
        this.fd = fd;
        this.op = op;
        this.bufferKind = bufferKind;
        this.position = position;
        this.length = length;
        this.arg = arg;
        this.attachment = attachment;
        this.rwFlags = rwFlags;
        this.ioprio = ioprio;
        this.future = future;
        this.event = event;
    }

    /** The hand-off: the owner starts the request as if it had been made there. */
    @Override
    public void run() {
        if (engine.waitsForInlineReads(op)) {
            engine.ownerCompletions.addStart(this);
            return;
        }
        startBehindInlineReads();
    }

    /** Starts this request, handed over, or made on the owner while reads done inline waited for delivery. */
    void startBehindInlineReads() {
        engine.start(file, fd, op, bufferKind, position, length, arg, attachment, rwFlags, ioprio, future, event, false);
    }

    /** Starts this request, which waited for a slot: it goes before any newer request. */
    void startQueued() {
        engine.start(file, fd, op, bufferKind, position, length, arg, attachment, rwFlags, ioprio, future, event, true);
    }

    /** Fails the request before it took a slot, giving its file reference back. */
    void fail(Throwable cause) {
        if (file != null) {
            file.release(op);
        }
        engine.counters.increment(Counters.FAILED);
        future.completeExceptionally(cause);
    }
}

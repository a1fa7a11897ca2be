package io.linuxaio.engine;

import io.linuxaio.AioIOException;
import io.linuxaio.abi.Iocb;

import java.util.concurrent.CompletableFuture;

/**
 * Ends a request whose answer is known: copies a read's bytes back into heap buffers, frees the slot and
 * its memory, gives the freed slot to the oldest waiting request, releases the file, and completes the
 * future (with the count, or an {@link AioIOException} naming op, file, offset, length and errno).
 * Owner thread only.
 */
final class Completer {

    private final Engine engine;
    private final SlotTable slots;
    private final KernelContext kernel;
    private final Counters counters;

    Completer(Engine engine, SlotTable slots, KernelContext kernel, Counters counters) {
        this.engine = engine;
        this.slots = slots;
        this.kernel = kernel;
        this.counters = counters;
    }

    /**
     * Ends the slot's request with {@code res} (a count, or {@code -errno}). The order matters: the copy
     * back reads the slot's memory, so it comes before the free; the slot is free and handed to the oldest
     * waiting request before any callback of this future can ask for one (first come, first served); the
     * counters move before the future completes (who sees it done sees the count); the context may finish
     * closing only after the future is complete.
     */
    void endRequest(int slot, long res, String detail) {
        CompletableFuture<?> future = slots.futures[slot];
        Object attachment = slots.attachments[slot];
        FileHandle file = slots.files[slot];
        Op op = slots.ops[slot];
        BufferKind kind = slots.bufferKinds[slot];
        long position = slots.positions[slot];
        long length = slots.lengths[slot];
        int bufferStart = slots.bufferStarts[slot];
        int fd = slots.fds[slot];
        long memory = slots.ownMemory[slot];
        RequestEvent event = slots.events[slot];
        // read while the slot is still the request's; nothing of it when no recording wants the event
        String way = event == null ? null
                : slots.states[slot] == SlotState.IN_FALLBACK ? RequestEvent.POOL : RequestEvent.KERNEL;
        long pollEvents = event != null && op == Op.POLL ? Iocb.aioBuf(kernel.iocb(slot)) : 0;
        RuntimeException problem = null;
        if (res > 0 && memory != 0 && op.isRead()) {
            try {
                kind.copyBack(Iocb.aioBuf(kernel.iocb(slot)), attachment, res);
            } catch (RuntimeException e) {
                problem = e; // the caller changed the buffer while the kernel owned it
            }
        }
        if (memory != 0) {
            NativeMemory.free(memory);
        }
        engine.writeOrder.ended(slot); // requests it held back start now, before newer ones: start order holds
        slots.free(slot);
        engine.startWaiting();
        if (file != null) {
            file.release(op);
        }

        if (event != null) { // before the future completes: who saw it complete finds its event recorded
            RequestEvents.end(event, file, fd, op, position, length, pollEvents, res, way);
        }
        if (future.isDone()) {
            if (future.isCancelled()) {
                counters.increment(Counters.FAILED); // cancelled by the caller: a cancelled poll completes here with its slot
            } // else failed by close() or abandon(), which counted it
        } else if (res < 0) {
            counters.increment(Counters.FAILED);
            String where = file != null ? file.describe() : "fd " + fd;
            future.completeExceptionally(new AioIOException(op.callName(), where, position, length, (int) -res, detail));
        } else if (problem != null) {
            counters.increment(Counters.FAILED);
            future.completeExceptionally(problem);
        } else {
            completeNormally(future, op, kind, attachment, bufferStart, res);
        }
        engine.lifecycle.terminateIfDone();
    }

    @SuppressWarnings("unchecked")
    private void completeNormally(CompletableFuture<?> future, Op op, BufferKind kind, Object attachment, int bufferStart, long res) {
        counters.increment(Counters.COMPLETED);
        try {
            switch (op) {
                case FSYNC, FDSYNC -> ((CompletableFuture<Void>) future).complete(null);
                case POLL -> ((CompletableFuture<Integer>) future).complete(Results.box((int) res));
                default -> {
                    int n = (int) res;
                    counters.add(op.isRead() ? Counters.BYTES_READ : Counters.BYTES_WRITTEN, n);
                    kind.advance(attachment, bufferStart, n);
                    ((CompletableFuture<Integer>) future).complete(Results.box(n));
                }
            }
        } catch (RuntimeException e) {
            counters.add(Counters.COMPLETED, -1);
            counters.increment(Counters.FAILED);
            future.completeExceptionally(e);
        }
    }
}

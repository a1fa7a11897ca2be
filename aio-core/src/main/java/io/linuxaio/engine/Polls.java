package io.linuxaio.engine;

import io.linuxaio.AioAbandonedException;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code IOCB_CMD_POLL} requests, which never end by themselves: their futures, whose cancellation goes
 * to the kernel ({@code io_cancel}), and their failure when the context closes or is abandoned. Owner
 * thread, except {@link PollFuture#cancel}, which any thread may call.
 */
final class Polls {

    private final Engine engine;
    private final SlotTable slots;
    private final KernelContext kernel;
    private final Counters counters;

    Polls(Engine engine, SlotTable slots, KernelContext kernel, Counters counters) {
        this.engine = engine;
        this.slots = slots;
        this.kernel = kernel;
        this.counters = counters;
    }

    /** A poll whose cancellation is passed to the kernel. Any thread. */
    static final class PollFuture extends CompletableFuture<Integer> {
        private final Polls polls;
        /** The slot and its generation once started; -1 before. Written on the owner thread. */
        volatile int slot = -1;
        volatile int generation;

        PollFuture(Polls polls) {
            this.polls = polls;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                polls.cancel(this);
            }
            return cancelled;
        }
    }

    /** A new poll's future. Any thread. */
    PollFuture newFuture() {
        return new PollFuture(this);
    }

    /** Records the slot a poll started in, so that its cancellation can find it. Owner thread. */
    void started(CompletableFuture<?> future, int slot) {
        if (future instanceof PollFuture pf) {
            pf.slot = slot;
            pf.generation = slots.generations[slot];
        }
    }

    private void cancel(PollFuture future) {
        Runnable cancel = () -> {
            int slot = future.slot;
            if (!slots.isCurrent(slot, future.generation)) {
                return; // not started (start skips done futures) or already completed
            }
            cancelInKernel(slot);
        };
        if (engine.owner().inOwnerThread()) {
            cancel.run();
        } else {
            try {
                engine.owner().execute(cancel);
            } catch (RejectedExecutionException ignored) {
                // the owner is gone: abandon() has failed the poll already
            }
        }
    }

    /**
     * Flushes a batched poll, then asks the kernel to cancel it: the kernel completes the poll through the
     * ring (EINPROGRESS now) and its slot is freed then.
     */
    private void cancelInKernel(int slot) {
        if (slots.states[slot] == SlotState.BATCHED) {
            engine.submitter.flush();
        }
        if (slots.states[slot] == SlotState.IN_KERNEL) {
            kernel.cancel(slot);
        }
    }

    /** close(): fails every poll, waiting or started, and cancels the started ones in the kernel. */
    void failOnClose(Iterable<Request> waiting) {
        for (Iterator<Request> it = waiting.iterator(); it.hasNext(); ) {
            Request r = it.next();
            if (r.op == Op.POLL) {
                it.remove();
                r.fail(new AioAbandonedException("poll cancelled: " + engine + " was closed"));
            }
        }
        AioAbandonedException cause = null;
        for (int slot = 0; slot < slots.depth; slot++) {
            CompletableFuture<?> f = slots.futures[slot];
            if (slots.ops[slot] == Op.POLL && f != null && !f.isDone()) {
                if (cause == null) {
                    cause = new AioAbandonedException("poll cancelled: " + engine + " was closed");
                }
                counters.increment(Counters.FAILED);
                f.completeExceptionally(cause);
                cancelInKernel(slot);
            }
        }
    }

    /** abandon(): fails every started poll and cancels those the kernel holds (waiting ones fail with the queue). */
    void failOnAbandon(AioAbandonedException cause) {
        for (int slot = 0; slot < slots.depth; slot++) {
            CompletableFuture<?> f = slots.futures[slot];
            if (slots.ops[slot] == Op.POLL && f != null) {
                if (f.completeExceptionally(cause)) {
                    counters.increment(Counters.FAILED);
                }
                if (slots.states[slot] == SlotState.IN_KERNEL) {
                    kernel.cancel(slot);
                }
            }
        }
    }
}

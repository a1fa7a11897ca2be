package io.linuxaio.engine;

import io.linuxaio.abi.Errno;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LinuxAio;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntConsumer;

/**
 * The batch of filled iocbs and their hand-over to the kernel: one flush per owner task (scheduled on
 * the owner when the first request is batched), in {@code io_submit}s of at most {@code maxSubmitBatch}.
 * Owner thread only.
 */
final class Submitter {

    private final Engine engine;
    private final SlotTable slots;
    private final KernelContext kernel;
    private final Counters counters;
    private final int maxSubmitBatch;
    private final int[] batch;
    private int batchSize;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flush;

    Submitter(Engine engine, SlotTable slots, KernelContext kernel, Counters counters, int maxSubmitBatch) {
        this.engine = engine;
        this.slots = slots;
        this.kernel = kernel;
        this.counters = counters;
        this.maxSubmitBatch = maxSubmitBatch;
        this.batch = new int[slots.depth];
    }

    /** Adds a filled slot to the batch, and schedules a flush after the owner's current task. */
    void add(int slot) {
        slots.states[slot] = SlotState.BATCHED;
        batch[batchSize++] = slot;
        scheduleFlush();
    }

    boolean isEmpty() {
        return batchSize == 0;
    }

    /** {@return whether {@code task} is the flush this submitter scheduled on its owner} */
    boolean isFlushTask(Runnable task) {
        return task == flushTask;
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            try {
                engine.owner().execute(flushTask);
            } catch (RejectedExecutionException e) {
                // the owner has shut down: the batch stays for abandon(), which fails what never reached the kernel
                flushScheduled = false;
            }
        }
    }

    /**
     * Hands the batch to the kernel in as few {@code io_submit} calls as it takes.
     *
     * <p>What one flush owes the kernel is the requests batched when it began: requests that completion
     * callbacks add meanwhile go out in the next flush, so the owner (an event loop) gets its turn back.
     * They go in io_submits of at most {@code maxSubmitBatch}: the device starts on the first requests while
     * the block layer still takes the next ones (each O_DIRECT request costs microseconds in io_submit).
     * EAGAIN with requests in the kernel means the ring is full: the rest waits for completions (the owner's
     * turn flushes again). A refused first iocb fails alone and the others go on.
     */
    void flush() {
        flushScheduled = false;
        int budget = batchSize;
        while (batchSize > 0 && budget > 0) {
            int n = Math.min(Math.min(batchSize, maxSubmitBatch), budget);
            for (int i = 0; i < n; i++) {
                kernel.iocbPointers.setAtIndex(ValueLayout.JAVA_LONG, i, kernel.iocbs.address() + batch[i] * Iocb.SIZE);
            }
            long r = LinuxAio.io_submit(kernel.aioContext, n, kernel.iocbPointers);
            counters.increment(Counters.SUBMIT_CALLS);
            if (r > 0) {
                int accepted = (int) r;
                for (int i = 0; i < accepted; i++) {
                    slots.states[batch[i]] = SlotState.IN_KERNEL;
                }
                slots.inKernel += accepted;
                dropFirst(accepted);
                budget -= accepted;
            } else if (r == -Errno.EINTR) {
                continue;
            } else if (r == -Errno.EAGAIN && slots.inKernel > 0) {
                counters.increment(Counters.RING_FULL_WAITS);
                return;
            } else {
                int slot = batch[0];
                dropFirst(1);
                budget--;
                engine.onAnswer(slot, r == 0 ? -Errno.EINVAL : r, "refused by io_submit");
            }
        }
        if (batchSize > 0 && !engine.lifecycle.isTerminatedOnOwner()) {
            scheduleFlush();
        }
    }

    private void dropFirst(int n) {
        System.arraycopy(batch, n, batch, 0, batchSize - n);
        batchSize -= n;
    }

    /** Empties the batch, failing its requests (they never reached the kernel). Teardown only. */
    void failAll(IntConsumer fail) {
        for (int i = 0; i < batchSize; i++) {
            fail.accept(batch[i]);
        }
        batchSize = 0;
    }
}

package io.linuxaio.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The futures of reads the owner did inline, completed one after another in an owner task of their own
 * rather than at the call. A future complete at its call runs the callbacks attached to it on the caller's
 * stack, and a chain of reads made in callbacks (read the next block when this one is in) would then
 * recurse once per cached read; completed here, each callback runs on this task's stack and its own inline
 * read joins the queue: a loop, not a recursion, with no stack walk.
 *
 * <p>The first round is a task scheduled after the owner's current task, as the flush of submissions is.
 * A round completes at most {@link #PER_ROUND} futures, those their callbacks queue included; the rest wait
 * for the owner's next turn, woken by a signal of the context's eventfd. A task would not do: an event loop
 * runs the tasks that tasks add before it looks at its sockets again (Netty for up to a second), so a chain
 * of cached reads would keep every connection of the loop waiting. Owner thread.
 */
final class OwnerCompletions {

    private static final Logger LOG = LoggerFactory.getLogger(OwnerCompletions.class);

    /**
     * Futures one round completes before the owner looks at its other work: about half a millisecond of
     * cached 4 KiB reads, and one eventfd signal per this many reads of a single chain.
     */
    static final int PER_ROUND = 256;

    private final Engine engine;
    private CompletableFuture<Integer>[] futures;
    private Integer[] results;
    private int head;
    private int size;
    /** A round is owed: a task or the eventfd's signal will run it. */
    private boolean scheduled;
    /** The value 1, which a signal adds to the eventfd. */
    private final MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
    private final Runnable completeTask = this::completeQueued;

    @SuppressWarnings("unchecked")
    OwnerCompletions(Engine engine) {
        this.engine = engine;
        this.futures = new CompletableFuture[64];
        this.results = new Integer[64];
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /** Queues {@code future} to complete with {@code result} after the owner's current task. */
    void add(CompletableFuture<Integer> future, Integer result) {
        if (size == futures.length) {
            grow();
        }
        int i = (head + size) & (futures.length - 1);
        futures[i] = future;
        results[i] = result;
        size++;
        if (!scheduled) {
            scheduled = true;
            try {
                engine.owner().execute(completeTask);
            } catch (RejectedExecutionException e) {
                // the owner has shut down and runs no more tasks: this is its thread, complete them here
                completeAll();
            }
        }
    }

    /** Whether futures wait for a round. */
    boolean isEmpty() {
        return size == 0;
    }

    /**
     * A round: completes queued futures in order, those their callbacks queue too, up to {@link #PER_ROUND};
     * what is left waits for the owner's next turn, which the eventfd's signal brings.
     */
    void completeQueued() {
        for (int done = 0; size > 0 && done < PER_ROUND; done++) {
            int i = head;
            CompletableFuture<Integer> future = futures[i];
            Integer result = results[i];
            futures[i] = null;
            results[i] = null;
            head = (head + 1) & (futures.length - 1);
            size--;
            try {
                future.complete(result);
            } catch (RuntimeException | Error e) { // a callback's own failure is in its dependent; this is ours
                LOG.error("{}: completing an inline read failed", engine, e);
            }
        }
        scheduled = size > 0;
        if (scheduled) {
            engine.kernel.wakeUp(one);
        } else {
            engine.lifecycle.terminateIfDone(); // a close waits for these futures too
        }
    }

    /**
     * Completes every queued future, those their callbacks queue too, on teardown (a closing context takes
     * no new reads). Owner thread, or any thread once the owner runs no more tasks.
     */
    void completeAll() {
        while (size > 0) {
            completeQueued();
        }
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        int n = futures.length;
        CompletableFuture<Integer>[] f = new CompletableFuture[n * 2];
        Integer[] r = new Integer[n * 2];
        for (int k = 0; k < size; k++) {
            f[k] = futures[(head + k) & (n - 1)];
            r[k] = results[(head + k) & (n - 1)];
        }
        futures = f;
        results = r;
        head = 0;
    }
}

package io.linuxaio.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The futures of reads the owner did inline, completed one after another in an owner task of their own
 * rather than at the call, and the writes made while any wait, started in their turn behind them. A future
 * complete at its call runs the callbacks attached to it on the caller's stack, and a chain of reads made in
 * callbacks (read the next block when this one is in) would then recurse once per cached read; completed
 * here, each callback runs on this task's stack and its own inline read joins the queue: a loop, not a
 * recursion, with no stack walk.
 *
 * <p>The first round is a task scheduled after the owner's current task, as the flush of submissions is.
 * A round delivers at most {@link #PER_ROUND} entries, those their callbacks queue included; the rest wait
 * for the owner's next turn, woken by a signal of the context's eventfd. A task would not do: an event loop
 * runs the tasks that tasks add before it looks at its sockets again (Netty for up to a second), so a chain
 * of cached reads would keep every connection of the loop waiting.
 *
 * <p>A read here holds its file until it is delivered, so the file's close waits for it. A write made on
 * the owner while reads wait here starts behind them, so that it completes after them (the ordering rule:
 * an overlapping write waits until the read made before it has completed). A close waits for this queue
 * to empty; the round that empties it lets the context finish closing. Owner thread.
 */
final class OwnerCompletions {

    private static final Logger LOG = LoggerFactory.getLogger(OwnerCompletions.class);

    /**
     * Entries one round delivers before the owner looks at its other work: about half a millisecond of
     * cached 4 KiB reads, and one eventfd signal per this many reads of a single chain.
     */
    static final int PER_ROUND = 256;

    private final Engine engine;
    /** A read's future, or a write's {@link Request} to start. */
    private Object[] entries;
    /** A read's count. */
    private Integer[] results;
    /** A read's file, released when it is delivered. */
    private FileHandle[] files;
    private int head;
    private int size;
    /** Of those, requests waiting to start ({@link #addStart}). */
    private int parkedStarts;
    /** A round is owed: a task or the eventfd's signal will run it. */
    private boolean scheduled;
    private final Runnable roundTask = this::deliver;

    OwnerCompletions(Engine engine) {
        this.engine = engine;
        this.entries = new Object[64];
        this.results = new Integer[64];
        this.files = new FileHandle[64];
    }

    /** Queues the future of a read done inline to complete with {@code result}; {@code file}'s reference is released then. */
    void add(CompletableFuture<Integer> future, Integer result, FileHandle file) {
        enqueue(future, result, file);
    }

    /**
     * Queues a request made while reads wait here: a write, which starts when they have been delivered, or
     * any request made after such a write, which starts after it.
     */
    void addStart(Request request) {
        parkedStarts++;
        enqueue(request, null, null);
    }

    /** Whether a request waits here to start: every request made after it must wait behind it. */
    boolean hasParkedStarts() {
        return parkedStarts > 0;
    }

    /** Whether anything waits for a round. */
    boolean isEmpty() {
        return size == 0;
    }

    /** How many entries wait, for a summary of what holds a context open. */
    int size() {
        return size;
    }

    private void enqueue(Object entry, Integer result, FileHandle file) {
        if (size == entries.length) {
            grow();
        }
        int i = (head + size) & (entries.length - 1);
        entries[i] = entry;
        results[i] = result;
        files[i] = file;
        size++;
        if (!scheduled) {
            scheduled = true;
            try {
                engine.owner().execute(roundTask);
            } catch (RejectedExecutionException e) {
                // the owner runs no more tasks: tear the context down here, which delivers what waits
                engine.abandon("its owner thread refused a task: " + e.getMessage());
            }
        }
    }

    /**
     * A round: delivers queued entries in order, those their callbacks queue too, up to {@link #PER_ROUND};
     * what is left waits for the owner's next turn, which the eventfd's signal brings.
     */
    void deliver() {
        for (int done = 0; size > 0 && done < PER_ROUND; done++) {
            deliverFirst();
        }
        scheduled = size > 0;
        if (scheduled) {
            engine.kernel.wakeUp();
        } else {
            engine.lifecycle.terminateIfDone(); // a close waits for these entries too
        }
    }

    /**
     * Delivers every entry, those their callbacks queue too, on teardown (a closing context takes no new
     * reads, so this ends). Owner thread, or any thread once the owner runs no more tasks.
     */
    void deliverAll() {
        while (size > 0) {
            deliverFirst();
        }
        scheduled = false;
    }

    private void deliverFirst() {
        int i = head;
        Object entry = entries[i];
        Integer result = results[i];
        FileHandle file = files[i];
        entries[i] = null;
        results[i] = null;
        files[i] = null;
        head = (head + 1) & (entries.length - 1);
        size--;
        try {
            if (entry instanceof Request request) {
                parkedStarts--;
                request.startBehindInlineReads();
            } else {
                @SuppressWarnings("unchecked")
                CompletableFuture<Integer> future = (CompletableFuture<Integer>) entry;
                future.complete(result);
            }
        } catch (RuntimeException | Error e) { // a callback's own failure is in its dependent; this is ours
            LOG.error("{}: delivering a read done inline failed", engine, e);
        } finally {
            if (file != null) {
                file.release(Op.PREAD); // after the future: who sees the file closed sees its reads delivered
            }
        }
    }

    private void grow() {
        int n = entries.length;
        Object[] e = new Object[n * 2];
        Integer[] r = new Integer[n * 2];
        FileHandle[] f = new FileHandle[n * 2];
        for (int k = 0; k < size; k++) {
            int from = (head + k) & (n - 1);
            e[k] = entries[from];
            r[k] = results[from];
            f[k] = files[from];
        }
        entries = e;
        results = r;
        files = f;
        head = 0;
    }
}

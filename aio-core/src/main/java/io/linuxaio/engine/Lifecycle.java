package io.linuxaio.engine;

import io.linuxaio.AioAbandonedException;
import io.linuxaio.AioClosedException;
import io.linuxaio.AioMetrics;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * A context's life, OPEN → CLOSING → TERMINATED, and every way out of it: {@link #close} (graceful: new
 * requests refused, accepted ones finish), {@link #abandon} (the owner is going away), and the one
 * {@link #release} of the native resources that both end in. The state word is written with CAS from any
 * thread; transitions start on any thread, the teardown work runs on the owner (or on the thread that
 * abandons a context whose owner runs no more tasks).
 *
 * <p>Reads of the state: threads that must see a close made elsewhere (a request from any thread, a pool
 * thread's task coming back) read it volatile ({@link #isOpen}, {@link #isTerminated}); the owner's hot
 * path reads it opaque ({@link #isTerminatedOnOwner}, {@link #terminateIfDone}): the owner moved it to
 * TERMINATED itself, or learns of a close through the task close() hands it, which orders the write.
 */
final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int TERMINATED = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Lifecycle.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Engine engine;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    private boolean released;
    /**
     * Whether the owner has run the close task. Requests handed over before close() are queued on the owner
     * ahead of that task: until it has run, an idle context is not done (they have yet to start). Owner thread.
     */
    private boolean closeReachedOwner;
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** When the context opened, and when it began to close or be abandoned: for the debug line at the end. */
    private final long openedNanos = System.nanoTime();
    private volatile long closingSinceNanos;
    private volatile String closedHow = "closed";

    Lifecycle(Engine engine) {
        this.engine = engine;
    }

    /** Any thread. */
    boolean isOpen() {
        return (int) STATE.getVolatile(this) == OPEN;
    }

    /** Any thread. */
    boolean isTerminated() {
        return (int) STATE.getVolatile(this) == TERMINATED;
    }

    /** Owner thread. */
    boolean isTerminatedOnOwner() {
        return (int) STATE.getOpaque(this) == TERMINATED;
    }

    /** Owner thread. */
    boolean isClosingOnOwner() {
        return (int) STATE.getOpaque(this) == CLOSING;
    }

    CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** Any thread: throws when requests are refused. */
    void ensureOpen() throws AioClosedException {
        if (!isOpen()) {
            throw new AioClosedException(engine + " is closed");
        }
    }

    /**
     * Moves OPEN to CLOSING and hands the owner the rest; returns at once. Idempotent. Any thread. When the
     * owner refuses the task (it shut down), the context is abandoned on the calling thread.
     */
    void close() {
        if (STATE.compareAndSet(this, OPEN, CLOSING)) {
            closingSinceNanos = System.nanoTime();
            try {
                engine.owner().execute(this::closeOnOwner);
            } catch (RejectedExecutionException e) {
                abandon("the owner thread refused the close: " + e.getMessage());
            }
        }
    }

    /** Owner thread: fails the polls (they never end by themselves), sends what is batched, then terminates if idle. */
    private void closeOnOwner() {
        closeReachedOwner = true;
        engine.polls.failOnClose(engine.waiting);
        if (!engine.submitter.isEmpty()) {
            engine.submitter.flush();
        }
        terminateIfDone();
    }

    /**
     * Owner thread: once the close task has run and nothing is left in any slot, queue or batch, destroys
     * and releases.
     */
    void terminateIfDone() {
        if (closeReachedOwner && isClosingOnOwner() && isIdle() && STATE.compareAndSet(this, CLOSING, TERMINATED)) {
            engine.kernel.destroy();
            release();
        }
    }

    /**
     * Tears the context down because its owner is going away: what already completed is delivered, polls
     * and requests that had not reached the kernel fail with {@link AioAbandonedException}, what the kernel
     * holds is waited for (it completes within a disk access) and delivered as usual, requests on the pool
     * are left to it (each fails when it returns), then everything is freed. Owner thread, or any thread once
     * the owner runs no more tasks. Idempotent.
     */
    void abandon(String reason) {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s == TERMINATED) {
                return;
            }
            if (STATE.compareAndSet(this, s, CLOSING)) {
                if (s == OPEN) {
                    closingSinceNanos = System.nanoTime();
                }
                closedHow = "abandoned (" + reason + ")";
                break;
            }
        }
        AioAbandonedException cause = new AioAbandonedException("request abandoned: " + reason);
        closeReachedOwner = true; // the owner runs no task after this: requests still handed over fail when they run
        engine.ownerCompletions.deliverAll(); // reads done inline: delivered, as what the kernel completed is
        if (engine.kernel.ring != null) {
            engine.reapAll(); // deliver what already completed; the last completion may let terminateIfDone() finish
        }
        if (isTerminated()) {
            return;
        }
        engine.writeOrder.stop();
        engine.polls.failOnAbandon(cause);
        engine.submitter.failAll(slot -> failAbandoned(slot, cause));
        failOrdered(cause); // never reached the kernel either
        Request waiting;
        while ((waiting = engine.pollWaiting()) != null) {
            waiting.fail(cause);
        }
        while (engine.slots.inKernel > 0 && (int) STATE.getVolatile(this) == CLOSING) {
            int n = engine.reaper.awaitSome();
            if (n < 0 && n != -Errno.EINTR) {
                LOG.error("{}: io_getevents failed while abandoning: {}", engine,
                        new ErrnoException("io_getevents", -n).getMessage());
                break;
            }
            engine.handleReaped(Math.max(n, 0));
        }
        if (!STATE.compareAndSet(this, CLOSING, TERMINATED)) {
            return; // the last completion let terminateIfDone() finish
        }
        engine.kernel.destroy();
        for (int slot = 0; slot < engine.slots.depth; slot++) {
            SlotState st = engine.slots.states[slot];
            if (st == SlotState.BATCHED || st == SlotState.IN_KERNEL) {
                failAbandoned(slot, cause);
            }
            // IN_FALLBACK: a pool thread still uses the descriptor and the buffer; when it returns it finds
            // the context terminated and fails the future, releases the file and frees the memory
        }
        release();
    }

    /** Whether nothing holds a slot, waits for one, waits in the batch or waits to be completed inline. */
    private boolean isIdle() {
        return engine.slots.allFree() && engine.waiting.isEmpty() && engine.submitter.isEmpty()
                && engine.ownerCompletions.isEmpty();
    }

    /** Ends a slot's request that never reached (or never came back from) the kernel, on teardown. */
    void failAbandoned(int slot, AioAbandonedException cause) {
        CompletableFuture<?> future = engine.slots.futures[slot];
        FileHandle file = engine.slots.files[slot];
        Op op = engine.slots.ops[slot];
        if (engine.slots.ownMemory[slot] != 0) {
            NativeMemory.free(engine.slots.ownMemory[slot]);
        }
        engine.writeOrder.ended(slot);
        engine.slots.free(slot);
        if (file != null) {
            file.release(op);
        }
        if (future != null && !future.isDone()) {
            engine.counters.increment(Counters.FAILED);
            future.completeExceptionally(cause);
        }
    }

    /** Fails the requests that wait for an earlier overlapping one, on teardown: they never reached the kernel. */
    private void failOrdered(AioAbandonedException cause) {
        for (int slot = 0; slot < engine.slots.depth; slot++) {
            if (engine.slots.states[slot] == SlotState.ORDERED) {
                failAbandoned(slot, cause);
            }
        }
    }

    /**
     * Frees the native resources, once, in this order: the driver lets go of the eventfd (an epoll
     * registration must not outlive the descriptor), the eventfd is closed once no waker can write to it,
     * the arena is freed and unaccounted, the completion thread stops, and only then does the close
     * future complete.
     */
    private void release() {
        if (released) {
            return;
        }
        released = true;
        try {
            engine.owner().terminating();
        } catch (RuntimeException e) {
            LOG.warn("{}: the driver failed to let go of the eventfd", engine, e);
        }
        engine.kernel.release();
        engine.stopCompletionThread();
        if (LOG.isDebugEnabled()) {
            long now = System.nanoTime();
            AioMetrics m = engine.metrics();
            LOG.debug("{} {} after {} ms open, {} ms closing: {} requests completed, {} failed", engine, closedHow,
                    (now - openedNanos) / 1_000_000, (now - closingSinceNanos) / 1_000_000, m.completed(), m.failed());
        }
        closeFuture.complete(null);
    }
}

package io.linuxaio.engine;

import io.linuxaio.AioAbandonedException;
import io.linuxaio.AioClosedException;
import io.linuxaio.AioMetrics;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.spi.AioOwner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One context's engine: the hand-off of requests to the owner thread, their start in a slot, and the
 * owner's turn (reap, hand each event to its slot, flush). Requests come from any thread; everything else runs on the
 * owner thread, which no lock guards because no other thread touches the engine's state.
 *
 * <p>See the package documentation for the life of a request.
 */
public final class Engine {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /**
     * Reap rounds per owner turn: completions that callbacks' new requests produce within the turn are
     * followed up, but a context that never runs dry cannot keep its owner (an event loop) forever.
     */
    private static final int REAP_ROUNDS_PER_TURN = 4;
    /**
     * On its own completion thread, every this many completions handled the owner starts the requests other
     * threads handed over meanwhile and submits what is queued, rather than at the end of the turn. Each
     * completion a virtual thread waits for unparks it, and the thread hands its next request over at once:
     * held until the turn's end (often 40 completions, each unpark a wake-up of a carrier), those requests
     * stayed out of the disk's queue. 100 virtual threads reading cold O_DIRECT data went from 110k-116k to
     * 122k-129k reads/s here; requests made on the owner itself measured the same either way. A power of two.
     */
    static final int MID_TURN_SUBMIT_EVERY = 16;

    private final String name;
    private final int maxQueued;
    private final AioOwner owner;
    private final CompletionThread completionThread;
    final KernelContext kernel;
    final Counters counters = new Counters();
    final SlotTable slots;
    final Submitter submitter;
    final Reaper reaper;
    final NowaitFallback fallback;
    final Polls polls;
    final Completer completer;
    final WriteOrder writeOrder;
    final InlineReads inlineReads;
    final OwnerCompletions ownerCompletions = new OwnerCompletions(this);
    final Lifecycle lifecycle;
    /** Requests waiting for a free slot, oldest first. */
    final ArrayDeque<Request> waiting = new ArrayDeque<>();

    /**
     * A context owned by {@code owner}, or, when it is null, by a completion thread of its own (started
     * here). Any thread.
     */
    public Engine(EngineSettings settings, AioOwner owner) throws IOException {
        LinuxAio.ensureAvailability();
        this.name = settings.name();
        this.maxQueued = settings.maxQueued();
        int depth = settings.queueDepth();
        this.kernel = KernelContext.create(depth, owner == null, settings.userSpaceReaping());
        this.slots = new SlotTable(depth, counters);
        this.submitter = new Submitter(this, slots, kernel, counters, settings.maxSubmitBatch());
        this.reaper = new Reaper(kernel, counters, depth);
        this.fallback = new NowaitFallback(this, slots, kernel, counters, settings.nonBlockingSubmit());
        this.polls = new Polls(this, slots, kernel, counters);
        this.completer = new Completer(this, slots, kernel, counters);
        this.writeOrder = new WriteOrder(this, slots);
        this.inlineReads = new InlineReads(settings.inlineCachedReads() && settings.nonBlockingSubmit());
        this.lifecycle = new Lifecycle(this);
        if (owner != null) {
            this.owner = owner;
            this.completionThread = null;
        } else {
            try {
                this.completionThread = new CompletionThread(this, kernel, name, settings.threadFactory());
                completionThread.start();
            } catch (RuntimeException | Error e) { // a thread factory's failure: nothing else holds the kernel context
                kernel.destroy();
                kernel.release();
                throw e;
            }
            this.owner = completionThread;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} created: ring of {} events, maxQueued {}, maxSubmitBatch {}, userSpaceReaping {}, "
                    + "nonBlockingSubmit {}, inlineCachedReads {}, owner {}", this, kernel.ringSize, maxQueued,
                    settings.maxSubmitBatch(), kernel.ring != null, settings.nonBlockingSubmit(),
                    inlineReads.enabled(), owner == null ? "its completion thread" : owner);
        }
    }

    // ================================================================== the hand-off (any thread)

    /**
     * Starts a request: on the owner thread it goes into the current batch; from another thread it is
     * handed to the owner. Any thread. Ownership of {@code file}'s reference (acquired by the caller)
     * passes to the request.
     */
    public void submit(FileHandle file, Op op, BufferKind bufferKind, long position, long length, long arg,
                       Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future) {
        submit(file, file.fd(), op, bufferKind, position, length, arg, attachment, rwFlags, ioprio, future);
    }

    private void submit(FileHandle file, int fd, Op op, BufferKind bufferKind, long position, long length, long arg,
                        Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future) {
        if (!lifecycle.isOpen()) {
            if (file != null) {
                file.release(op);
            }
            future.completeExceptionally(new AioClosedException(this + " is closed"));
            return;
        }
        RequestEvent event = RequestEvents.begin(op);
        if (owner.inOwnerThread()) {
            if (waitsForInlineReads(op)) {
                ownerCompletions.addStart(new Request(this, file, fd, op, bufferKind, position, length, arg, attachment,
                        rwFlags, ioprio, future, event));
                return;
            }
            start(file, fd, op, bufferKind, position, length, arg, attachment, rwFlags, ioprio, future, event, false);
        } else {
            Request request = new Request(this, file, fd, op, bufferKind, position, length, arg, attachment, rwFlags,
                    ioprio, future, event);
            try {
                owner.execute(request);
            } catch (RejectedExecutionException e) {
                request.fail(new AioClosedException(this + " cannot take requests: its owner thread shut down"));
            }
        }
    }

    /**
     * Whether a request starting on the owner now must wait for the reads done inline before it to be
     * delivered ({@link OwnerCompletions}): a write, while any wait, so that it completes after them; and any
     * request while a write waits there, so that it does not pass that write (a read of the range would see
     * the data from before it). Owner thread.
     */
    boolean waitsForInlineReads(Op op) {
        return !ownerCompletions.isEmpty() && (op.isWrite() || ownerCompletions.hasParkedStarts());
    }

    /**
     * Tries a buffered read into native memory at {@code address} on the calling thread, without waiting for
     * the disk ({@link InlineReads}): when the page cache held it all (or the end of the file was reached) a
     * completed future, or on the owner one that completes after the caller's task; the future of its rest
     * when a page was missing; or null when the request must go the usual way whole. Never on a closed context. The caller's reference to the file passes to the
     * request unless null is returned. Any thread.
     *
     * @param callerWaits the caller blocks for the result: tried even when inline reads are not enabled
     */
    public CompletableFuture<Integer> readInline(FileHandle file, BufferKind kind, Object buffer, long address,
                                                 long position, long length, int rwFlags, int ioprio, boolean callerWaits) {
        if (!inlineReads.applies(file, rwFlags, ioprio, callerWaits) || !lifecycle.isOpen()) {
            return null;
        }
        return inlineReads.readOrContinue(this, file, kind, buffer, address, position, length, callerWaits,
                owner.inOwnerThread());
    }

    /** A poll of {@code fd} for {@code events}; its future's cancellation reaches the kernel. Any thread. */
    public CompletableFuture<Integer> poll(int fd, int events) {
        Polls.PollFuture future = polls.newFuture();
        submit(null, fd, Op.POLL, BufferKind.NONE, -1, -1, events & 0xffffL, null, 0, 0, future);
        return future;
    }

    // ================================================================== start (owner thread)

    /**
     * Takes a slot, fills its iocb and adds it to the batch, or queues the request when no slot is free or
     * older requests wait (first come, first served: a completion callback that issues a new request must
     * not take the slot an older waiting request is owed).
     */
    void start(FileHandle file, int fd, Op op, BufferKind kind, long position, long length, long arg,
               Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future, RequestEvent event,
               boolean queued) {
        if (future.isDone()) { // cancelled before it started
            if (file != null) {
                file.release(op);
            }
            return;
        }
        if (lifecycle.isTerminatedOnOwner()) {
            refuse(file, op, future, new AioAbandonedException(this + " was torn down (closed, or its owner shut down) before the request started"));
            return;
        }
        if (op == Op.POLL && lifecycle.isClosingOnOwner()) {
            counters.increment(Counters.FAILED);
            future.completeExceptionally(new AioAbandonedException("poll cancelled: " + this + " was closed"));
            return;
        }
        if (!slots.hasFree() || (!queued && !waiting.isEmpty())) {
            if (waiting.size() >= maxQueued) {
                refuse(file, op, future, new RejectedExecutionException("AIO request refused: all " + slots.depth
                        + " slots of " + this + " are in flight and " + waiting.size() + " requests already wait "
                        + "(maxQueued=" + maxQueued + "); raise queueDepth or maxQueued, or wait for completions"));
                return;
            }
            counters.increment(Counters.RING_FULL_WAITS);
            waiting.add(new Request(this, file, fd, op, kind, position, length, arg, attachment, rwFlags, ioprio, future, event));
            counters.set(Counters.QUEUED, waiting.size());
            return;
        }
        int slot = slots.take(future, attachment, file, op, kind, fd, rwFlags, position, length);
        slots.events[slot] = event;
        polls.started(future, slot);

        long buf;
        try {
            buf = kind == BufferKind.NONE ? arg : kind.prepare(slots, slot, attachment, length, op.isWrite(), file,
                    kernel.slotIovecs(slot));
        } catch (RuntimeException | OutOfMemoryError e) {
            if (slots.ownMemory[slot] != 0) {
                NativeMemory.free(slots.ownMemory[slot]);
            }
            slots.free(slot);
            refuse(file, op, future, e);
            return;
        }

        int iocbFlags = AioAbi.IOCB_FLAG_RESFD | (ioprio != 0 ? AioAbi.IOCB_FLAG_IOPRIO : 0);
        Iocb.prep(kernel.iocb(slot), op.opcode(), fd, buf, kind.iocbCount(attachment, length), position < 0 ? 0 : position,
                slots.aioData(slot), rwFlags, iocbFlags, (short) ioprio, kernel.eventFd);
        counters.increment(Counters.SUBMITTED);
        if (writeOrder.admit(slot)) {
            launch(slot);
        }
    }

    /**
     * Sends a filled slot on its way: RWF_NOWAIT added or not, then to the batch, or straight to the pool
     * (decided now, not at start: an ordered request learns what the file taught meanwhile). Owner thread.
     */
    void launch(int slot) {
        NowaitFallback.Route route = fallback.route(slots.files[slot], slots.ops[slot], slots.userFlags[slot]);
        boolean nowait = route == NowaitFallback.Route.NOWAIT;
        slots.nowaitAdded[slot] = nowait;
        if (nowait) {
            Iocb.aioRwFlags(kernel.iocb(slot), slots.userFlags[slot] | AioAbi.RWF_NOWAIT);
        }
        if (route == NowaitFallback.Route.POOL) {
            fallback.toPool(slot, 0);
        } else {
            submitter.add(slot);
        }
    }

    private void refuse(FileHandle file, Op op, CompletableFuture<?> future, Throwable cause) {
        if (file != null) {
            file.release(op);
        }
        counters.increment(Counters.FAILED);
        future.completeExceptionally(cause);
    }

    /** Gives free slots to the requests that wait for one, oldest first. Owner thread. */
    void startWaiting() {
        Request request;
        while (slots.hasFree() && (request = pollWaiting()) != null) {
            request.startQueued();
        }
    }

    Request pollWaiting() {
        Request r = waiting.poll();
        if (r != null) {
            counters.set(Counters.QUEUED, waiting.size());
        }
        return r;
    }

    // ================================================================== the owner's turn

    /**
     * The owner's turn: resets the eventfd, reaps every completion the kernel has posted and completes
     * their futures, then submits what is batched. Owner thread; drivers call it when the eventfd is readable.
     */
    public void runOwnerTurn() {
        if (lifecycle.isTerminatedOnOwner()) {
            return;
        }
        kernel.resetEventFd();
        reapAll();
        if (!ownerCompletions.isEmpty()) {
            ownerCompletions.deliver();
        }
        if (!submitter.isEmpty()) {
            submitter.flush();
        }
    }

    /** Reaps in rounds until the ring is dry, at most {@link #REAP_ROUNDS_PER_TURN}. Owner thread. */
    void reapAll() {
        for (int round = 0; round < REAP_ROUNDS_PER_TURN; round++) {
            // a completion may have let close() finish: the ring is unmapped after that
            if (lifecycle.isTerminatedOnOwner()) {
                return;
            }
            int n = reaper.reap(); // the events are copied and the head published before any is handled
            if (n == 0) {
                return;
            }
            handleReaped(n);
        }
    }

    /**
     * Dispatches the reaper's first {@code n} pairs, each on its own: one failing never loses the others; on
     * the completion thread, hand-overs are started on the way ({@link #MID_TURN_SUBMIT_EVERY}).
     */
    void handleReaped(int n) {
        for (int i = 0; i < n; i++) {
            try {
                onEvent(reaper.data[i], reaper.res[i]);
            } catch (RuntimeException | Error e) {
                LOG.error("{}: completing a request failed", this, e);
            }
            // only while open: closing and abandoning reap here too, with their own rules for what may start
            // (a request that must not pass a write parked in ownerCompletions parks behind it as it starts)
            if ((i & (MID_TURN_SUBMIT_EVERY - 1)) == MID_TURN_SUBMIT_EVERY - 1 && completionThread != null
                    && lifecycle.isOpen()) {
                completionThread.startHandedOverRequests();
                if (!submitter.isEmpty()) {
                    submitter.flush();
                }
            }
        }
    }

    private void onEvent(long aioData, long res) {
        int slot = slots.inKernelSlotOf(aioData);
        if (slot < 0) {
            counters.increment(Counters.STALE);
            LOG.warn("{}: dropped a completion for slot {} generation {} (res {}): no such request is in flight",
                    this, (int) aioData, (int) (aioData >>> 32), res);
            return;
        }
        slots.inKernel--;
        onAnswer(slot, res, null);
    }

    /** The kernel answered {@code res} for {@code slot}: the pool takes it over, or it ends here. Owner thread. */
    void onAnswer(int slot, long res, String detail) {
        if (!fallback.takeOver(slot, res)) {
            completer.endRequest(slot, res, detail);
        }
    }

    // ================================================================== teardown (owner thread)

    void stopCompletionThread() {
        if (completionThread != null) {
            completionThread.stop();
        }
    }

    // ================================================================== for the facade and drivers (any thread)

    public AioOwner owner() {
        return owner;
    }

    public String name() {
        return name;
    }

    public int queueDepth() {
        return slots.depth;
    }

    public int eventFd() {
        return kernel.eventFd;
    }

    /** The kernel's {@code aio_context_t}. */
    public long kernelContext() {
        return kernel.aioContext;
    }

    public boolean isUserSpaceReaping() {
        return kernel.ring != null;
    }

    public boolean isOpen() {
        return lifecycle.isOpen();
    }

    public void ensureOpen() throws AioClosedException {
        lifecycle.ensureOpen();
    }

    public CompletableFuture<Void> closeFuture() {
        return lifecycle.closeFuture();
    }

    public AioMetrics metrics() {
        return counters.snapshot(inlineReads.reads(), inlineReads.bytes());
    }

    /** Begins a graceful close; returns at once (see {@link #closeFuture()}). */
    public void close() {
        lifecycle.close();
    }

    /** Tears the context down because its owner is going away. Owner thread, or any once the owner runs no tasks. */
    public void abandon(String reason) {
        lifecycle.abandon(reason);
    }

    /** {@return whether {@code task} is the flush the submitter scheduled on the owner} Owner thread. */
    boolean isFlushTask(Runnable task) {
        return submitter.isFlushTask(task);
    }

    /** Submits what is batched now. Owner thread. */
    public void flush() {
        submitter.flush();
    }

    /** What holds the context open: a snapshot read off the owner thread, which may lag. */
    public String pendingSummary() {
        return slots.describe((int) metrics().queued()) + ", reads done inline waiting to be delivered "
                + ownerCompletions.size();
    }

    @Override
    public String toString() {
        return "AioContext[" + name + ", depth=" + slots.depth + ", ctx=0x" + Long.toHexString(kernel.aioContext)
                + ", eventfd=" + kernel.eventFd + "]";
    }
}

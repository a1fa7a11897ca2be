package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.AioLimits;
import io.linuxaio.abi.AioRing;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.IoEvent;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.abi.Timespec;
import io.linuxaio.internal.FallbackPool;
import io.linuxaio.internal.NativeMemory;
import io.linuxaio.internal.Results;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Linux AIO context: a kernel context ({@code io_setup}), one eventfd that every request names
 * ({@code IOCB_FLAG_RESFD}), a table of request slots whose iocbs and iovecs live in one arena, the batch
 * of requests waiting for {@code io_submit}, and the reaping of completions from the kernel's mmapped
 * ring.
 *
 * <h2>Threading</h2>
 * Every context has one owner thread ({@link AioExecutor}) that submits and reaps; no lock is taken on
 * the hot path. Requests made on the owner thread go into the current batch, and the batch is handed to
 * the kernel in one {@code io_submit} when the owner's current task ends. Requests made on any other
 * thread are handed to the owner. Every future of the context completes on the owner thread:
 * the library's completion thread for a context from {@link #open()}, or a Netty event loop with
 * {@code aio-netty}. Callbacks attached to those futures run there too, so they must not block.
 *
 * <h2>Never blocking the owner</h2>
 * Buffered reads, and writes that may block inside {@code io_submit} (buffered writes; {@code O_DIRECT}
 * writes that allocate blocks), are submitted with {@code RWF_NOWAIT}; when the kernel answers EAGAIN or
 * EOPNOTSUPP the request runs as a blocking {@code preadv2}/{@code pwritev2} on a small shared pool
 * ({@link AioMetrics#fallbacks()}) and still completes on the owner thread. A file whose filesystem
 * refuses {@code RWF_NOWAIT} for buffered writes (ext4) sends its later buffered writes to the pool at
 * once. {@code O_DIRECT} reads, fsync, fdatasync and poll are submitted as they are: the kernel does
 * not block the submitter for them.
 *
 * <h2>Backpressure</h2>
 * A context holds at most {@link #queueDepth()} requests in flight. Beyond that, requests wait in order
 * in a queue of at most {@code maxQueued} requests and start as completions free slots; only past that
 * bound is a request refused (its future fails with a {@link RejectedExecutionException} that says so).
 *
 * <h2>Closing</h2>
 * {@link #close()} refuses new requests, lets every accepted request finish (pending polls are cancelled
 * in the kernel and fail with {@link AioAbandonedException}), then destroys the kernel context, closes the
 * eventfd and frees the arena. No future is left pending.
 */
public final class AioContext implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AioContext.class);

    /** The queue depth of {@link #open()}. */
    public static final int DEFAULT_QUEUE_DEPTH = 256;
    /**
     * The most iocbs one {@code io_submit} carries, by default. Measured on a virtio disk at iodepth 32
     * (4 KiB O_DIRECT random reads, one run each): one io_submit for all 32 reaches 72k IOPS, io_submits of
     * 16 79k, of 8 81k, of 4 85k (fio in the same minute: 86k), of 2 82k: a long io_submit delays the
     * device's start on the first requests. Page-cached reads lose about 7% at 4 (more system calls).
     * System property {@code io.linuxaio.maxSubmitBatch}.
     */
    public static final int DEFAULT_MAX_SUBMIT_BATCH = 4;

    /** The number of requests that may wait for a slot, by default. */
    public static final int DEFAULT_MAX_QUEUED = 65_536;

    static final byte OP_PREAD = AioAbi.IOCB_CMD_PREAD;
    static final byte OP_PWRITE = AioAbi.IOCB_CMD_PWRITE;
    static final byte OP_FSYNC = AioAbi.IOCB_CMD_FSYNC;
    static final byte OP_FDSYNC = AioAbi.IOCB_CMD_FDSYNC;
    static final byte OP_POLL = AioAbi.IOCB_CMD_POLL;
    static final byte OP_PREADV = AioAbi.IOCB_CMD_PREADV;
    static final byte OP_PWRITEV = AioAbi.IOCB_CMD_PWRITEV;

    static final byte BUF_NONE = 0;
    static final byte BUF_BYTE_BUFFER = 1;
    static final byte BUF_BYTE_BUFFERS = 2;
    static final byte BUF_SEGMENT = 3;

    private static final byte SLOT_FREE = 0;
    private static final byte SLOT_BATCHED = 1;
    private static final byte SLOT_IN_KERNEL = 2;
    private static final byte SLOT_IN_FALLBACK = 3;

    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int TERMINATED = 2;

    /** Iovecs preallocated per slot; a longer vector gets its own native memory. */
    static final int IOV_PER_SLOT = 8;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(AioContext.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ------------------------------------------------------------------ configuration
    private final String name;
    private final int depth;
    private final int maxQueued;
    private final boolean nonBlockingSubmit;
    private final int maxSubmitBatch;
    private final AioExecutor executor;
    private final CompletionThread completionThread;

    // ------------------------------------------------------------------ native resources
    private final Arena arena;
    private final long ctx;
    private final int eventFd;
    private final boolean blockingEventFd;
    private final MemorySegment iocbs;
    private final MemorySegment iocbpp;
    private final MemorySegment iovecs;
    private final MemorySegment getEventsBuf;
    private final MemorySegment zeroTimeout;
    private final MemorySegment waitTimeout;
    private final MemorySegment eventFdBuf;
    private final MemorySegment cancelResult;
    private final MemorySegment ring;
    private final MemorySegment ringEvents;
    private final int ringNr;
    private final long arenaBytes;

    // ------------------------------------------------------------------ request slots (owner thread only)
    private final CompletableFuture<?>[] futures;
    private final Object[] attachments;
    private final AioFile[] files;
    private final byte[] ops;
    private final byte[] bufKinds;
    private final byte[] slotStates;
    private final boolean[] nowaitAdded;
    private final int[] generations;
    private final int[] fds;
    private final int[] userFlags;
    private final int[] bufStarts;
    private final long[] positions;
    private final long[] lengths;
    private final long[] scratch;
    private final int[] freeSlots;
    private int freeTop;
    private final int[] batch;
    private int batchSize;
    private int inKernel;
    private final ArrayDeque<PendingOp> waiting = new ArrayDeque<>();
    private final long[] reapData;
    private final long[] reapRes;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flush;

    // ------------------------------------------------------------------ lifecycle
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    private volatile boolean eventFdClosed;
    private boolean released;
    private final AtomicInteger wakers = new AtomicInteger();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    // ------------------------------------------------------------------ metrics (written by the owner)
    private long mSubmitted;
    private long mCompleted;
    private long mFailed;
    private long mBytesRead;
    private long mBytesWritten;
    private long mRingFullWaits;
    private long mFallbacks;
    private long mSubmitCalls;
    private long mGeteventsCalls;
    private long mUserReaped;
    private long mStale;

    private AioContext(Builder b, AioExecutor external) throws IOException {
        LinuxAio.ensureAvailability();
        this.name = b.name;
        this.depth = b.queueDepth;
        this.maxQueued = b.maxQueued;
        this.nonBlockingSubmit = b.nonBlockingSubmit;
        this.maxSubmitBatch = b.maxSubmitBatch;
        this.blockingEventFd = external == null;

        int efd = -1;
        long context = 0;
        Arena a = Arena.ofShared();
        try {
            efd = EventFd.create(0, EventFd.EFD_CLOEXEC | (blockingEventFd ? 0 : EventFd.EFD_NONBLOCK));
            try {
                context = LinuxAio.ioSetup(depth);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.EAGAIN) {
                    throw new IOException("cannot set up an AIO context of " + depth + " events: /proc/sys/fs/aio-max-nr is "
                            + AioLimits.aioMaxNr() + " and /proc/sys/fs/aio-nr (events held by all contexts) is "
                            + AioLimits.aioNr() + "; close unused contexts, lower the queue depth, or raise the sysctl "
                            + "fs.aio-max-nr", e);
                }
                throw e;
            }
            this.eventFd = efd;
            this.ctx = context;
            this.arena = a;
            this.iocbs = a.allocate(Iocb.SIZE * depth, 64);
            this.iocbpp = a.allocate(ValueLayout.ADDRESS, depth);
            this.iovecs = a.allocate(IoVec.SIZE * IOV_PER_SLOT * depth, 16);
            this.getEventsBuf = a.allocate(IoEvent.SIZE * depth, 8);
            this.zeroTimeout = a.allocate(Timespec.LAYOUT);
            this.waitTimeout = a.allocate(Timespec.LAYOUT);
            Timespec.setNanos(waitTimeout, 1_000_000_000L);
            this.eventFdBuf = a.allocate(ValueLayout.JAVA_LONG);
            this.cancelResult = a.allocate(IoEvent.LAYOUT);
            this.arenaBytes = Iocb.SIZE * depth + 8L * depth + IoVec.SIZE * IOV_PER_SLOT * depth + IoEvent.SIZE * depth
                    + 3 * Timespec.SIZE + 8 + IoEvent.SIZE;
            MemorySegment r = AioRing.of(context);
            if (b.userSpaceReaping && AioRing.isUserReapable(r)) {
                this.ring = r;
                this.ringEvents = AioRing.events(r);
                this.ringNr = AioRing.nr(r);
            } else {
                this.ring = null;
                this.ringEvents = null;
                this.ringNr = 0;
            }
            NativeMemory.accountArena(arenaBytes);
        } catch (Throwable t) {
            if (context != 0) {
                LinuxAio.io_destroy(context);
            }
            if (efd >= 0) {
                LibC.close(efd);
            }
            a.close();
            throw t;
        }

        futures = new CompletableFuture<?>[depth];
        attachments = new Object[depth];
        files = new AioFile[depth];
        ops = new byte[depth];
        bufKinds = new byte[depth];
        slotStates = new byte[depth];
        nowaitAdded = new boolean[depth];
        generations = new int[depth];
        fds = new int[depth];
        userFlags = new int[depth];
        bufStarts = new int[depth];
        positions = new long[depth];
        lengths = new long[depth];
        scratch = new long[depth];
        freeSlots = new int[depth];
        for (int i = 0; i < depth; i++) {
            freeSlots[i] = depth - 1 - i;
        }
        freeTop = depth;
        batch = new int[depth];
        int reapCapacity = Math.max(depth, ringNr);
        reapData = new long[reapCapacity];
        reapRes = new long[reapCapacity];

        if (external != null) {
            this.executor = external;
            this.completionThread = null;
        } else {
            this.completionThread = new CompletionThread(this, name);
            this.executor = completionThread;
            completionThread.start();
        }
    }

    // ================================================================== creation

    /**
     * A context of {@link #DEFAULT_QUEUE_DEPTH} driven by a completion thread of its own. Any thread.
     *
     * @throws IOException when the kernel refuses the context ({@code aio-max-nr} exhausted, say)
     */
    public static AioContext open() throws IOException {
        return builder().build();
    }

    /** A builder of contexts. Any thread. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a new context. */
    public static final class Builder {
        private int queueDepth = DEFAULT_QUEUE_DEPTH;
        private int maxQueued = DEFAULT_MAX_QUEUED;
        private boolean userSpaceReaping = true;
        private boolean nonBlockingSubmit = true;
        private String name = "linux-aio";
        private int maxSubmitBatch = Integer.getInteger("io.linuxaio.maxSubmitBatch", DEFAULT_MAX_SUBMIT_BATCH);

        private Builder() {
        }

        /**
         * The most requests in flight at once (the {@code nr_events} of {@code io_setup}); it counts against
         * the system-wide {@code /proc/sys/fs/aio-max-nr}. Default {@value #DEFAULT_QUEUE_DEPTH}... 256.
         */
        public Builder queueDepth(int queueDepth) {
            if (queueDepth < 1 || queueDepth > 1 << 20) {
                throw new IllegalArgumentException("queueDepth " + queueDepth + " is out of range 1.." + (1 << 20));
            }
            this.queueDepth = queueDepth;
            return this;
        }

        /** How many requests may wait for a free slot before new ones are refused. Default 65536. */
        public Builder maxQueued(int maxQueued) {
            if (maxQueued < 0) {
                throw new IllegalArgumentException("maxQueued " + maxQueued + " is negative");
            }
            this.maxQueued = maxQueued;
            return this;
        }

        /**
         * Whether completions are read from the kernel's mmapped ring without a system call (default
         * true; used only while the ring's magic and features allow it). False forces {@code io_getevents}.
         */
        public Builder userSpaceReaping(boolean enabled) {
            this.userSpaceReaping = enabled;
            return this;
        }

        /**
         * Whether requests that could block {@code io_submit} are submitted with {@code RWF_NOWAIT} and
         * moved to the fallback pool when the kernel would block (default true). False submits every
         * request as it is: buffered I/O then runs synchronously inside {@code io_submit} on the owner thread.
         */
        public Builder nonBlockingSubmit(boolean enabled) {
            this.nonBlockingSubmit = enabled;
            return this;
        }

        /**
         * The most iocbs one {@code io_submit} carries (default {@value AioContext#DEFAULT_MAX_SUBMIT_BATCH}); a longer
         * batch goes out in several calls, with the ring reaped between them, so that completions that arrive
         * during a long submission are followed up in the same turn.
         */
        public Builder maxSubmitBatch(int maxSubmitBatch) {
            if (maxSubmitBatch < 1) {
                throw new IllegalArgumentException("maxSubmitBatch " + maxSubmitBatch + " must be positive");
            }
            this.maxSubmitBatch = maxSubmitBatch;
            return this;
        }

        /** The name of the context, used for its completion thread and in messages. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** A context driven by a completion thread of its own, started here. */
        public AioContext build() throws IOException {
            return new AioContext(this, null);
        }

        /**
         * A context owned by {@code executor}, for drivers such as {@code aio-netty}: its eventfd is
         * non-blocking, and the driver must call {@link AioContext#processCompletions()} on the owner
         * thread whenever it is readable, and {@link AioContext#abandon(String)} if the owner shuts down
         * before the context is closed.
         */
        public AioContext build(AioExecutor executor) throws IOException {
            return new AioContext(this, Objects.requireNonNull(executor, "executor"));
        }
    }

    // ================================================================== public API

    /**
     * Opens a file for requests through this context. This call blocks while the kernel opens the
     * file: do not call it on an event loop. Any thread.
     *
     * @param options {@link java.nio.file.StandardOpenOption}s, {@link AioOpenOption}s and
     *                {@link java.nio.file.LinkOption#NOFOLLOW_LINKS}; READ when neither READ nor WRITE is given
     */
    public AioFile open(Path path, OpenOption... options) throws IOException {
        ensureOpen();
        return AioFile.open(this, path, options);
    }

    /**
     * Opens a file on the blocking pool, so that an event loop can open files without blocking: the future
     * completes on the owner thread with the open file, or with the error {@link #open} would throw. Any thread.
     */
    public CompletableFuture<AioFile> openAsync(Path path, OpenOption... options) {
        Objects.requireNonNull(path, "path");
        OpenOption[] opts = options.clone();
        if (!isOpen()) {
            return CompletableFuture.failedFuture(new AioClosedException(this + " is closed"));
        }
        return supplyBlocking(() -> AioFile.open(this, path, opts));
    }

    /**
     * Runs {@code call}, a blocking call, on the library's blocking pool and completes the future on the
     * owner thread with its result or its exception: the way an event loop does the few things that have
     * no asynchronous form (resolving a path, opening a file) without blocking. Any thread.
     */
    public <T> CompletableFuture<T> supplyBlocking(java.util.concurrent.Callable<T> call) {
        Objects.requireNonNull(call, "call");
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            FallbackPool.executor().execute(() -> {
                T value = null;
                Throwable error = null;
                try {
                    value = call.call();
                } catch (Throwable t) {
                    error = t;
                }
                T v = value;
                Throwable e = error;
                Runnable done = () -> {
                    if (e != null) {
                        future.completeExceptionally(e);
                    } else if (!future.complete(v) && v instanceof AutoCloseable c) {
                        closeQuietly(c); // the caller gave up on it: nobody else will close it
                    }
                };
                try {
                    executor.execute(done);
                } catch (RejectedExecutionException rejected) {
                    if (v instanceof AutoCloseable c) {
                        closeQuietly(c);
                    }
                    future.completeExceptionally(new AioClosedException(this + " cannot complete the call: its owner shut down"));
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", c, e);
        }
    }

    /**
     * Polls {@code fd} (a pipe, a socket, an eventfd: anything {@code poll(2)} takes) for {@code events}
     * ({@link AioAbi#POLLIN}, ...). The future completes with the events of the wake-up, which may hold
     * more than were asked for (a socket polled for POLLIN may answer POLLIN|POLLRDNORM|POLLPRI...): mask
     * the result. Cancelling the future cancels the poll in the kernel ({@code io_cancel}); the kernel
     * gives its slot back shortly after, from a work queue. The descriptor must stay open until the future
     * completes. Any thread; completes on the owner thread.
     */
    public CompletableFuture<Integer> poll(int fd, int events) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd + " is negative");
        }
        PollFuture future = new PollFuture(this);
        submit(null, fd, OP_POLL, BUF_NONE, -1, -1, events & 0xffffL, null, 0, 0, future);
        return future;
    }

    /** The queue depth: the most requests in flight at once. Any thread. */
    public int queueDepth() {
        return depth;
    }

    /** The name given at creation. Any thread. */
    public String name() {
        return name;
    }

    /** The eventfd the kernel signals on every completion. For drivers. Any thread. */
    public int eventFd() {
        return eventFd;
    }

    /** The owner of this context. Any thread. */
    public AioExecutor executor() {
        return executor;
    }

    /**
     * The native bytes the library holds now, in every context: arenas, bounce buffers, iovec arrays.
     * Back to its earlier value once the contexts opened since are closed and their requests done. Any thread.
     */
    public static long liveNativeBytes() {
        return NativeMemory.liveBytes();
    }

    /** The kernel's {@code aio_context_t}, for tests. */
    long kernelContext() {
        return ctx;
    }

    /** Whether completions are reaped from the mmapped ring (true) or with {@code io_getevents}. Any thread. */
    public boolean isUserSpaceReaping() {
        return ring != null;
    }

    /** Whether the context accepts requests (not closed). Any thread. */
    public boolean isOpen() {
        return (int) STATE.getVolatile(this) == OPEN;
    }

    /** Completes when the context has been torn down and every native resource freed. Any thread. */
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** A snapshot of the counters. Any thread (a snapshot off the owner thread may lag a little). */
    public AioMetrics metrics() {
        return new AioMetrics(mSubmitted, mCompleted, mFailed, mBytesRead, mBytesWritten,
                depth - freeTop, waiting.size(), mRingFullWaits, mFallbacks, mSubmitCalls, mGeteventsCalls,
                mUserReaped, mStale);
    }

    /**
     * Closes the context: new requests are refused, accepted ones finish, pending polls are cancelled,
     * then the kernel context, the eventfd and the memory are released. Idempotent. Called from another
     * thread it waits until all of that is done; on the owner thread it returns at once (see
     * {@link #closeFuture()}). Any thread.
     */
    @Override
    public void close() {
        if (STATE.compareAndSet(this, OPEN, CLOSING)) {
            try {
                executor.execute(this::beginClose);
            } catch (RejectedExecutionException e) {
                abandon("the owner thread refused the close: " + e.getMessage());
            }
        }
        if (!executor.inExecutorThread()) {
            awaitClosed();
        }
    }

    /**
     * Waits for the teardown. The kernel owns the buffers of requests in flight, so nothing can be freed
     * before they complete: if that takes long, say what is still pending, every 10 s.
     */
    private void awaitClosed() {
        long waited = 0;
        for (;;) {
            try {
                closeFuture.get(10, java.util.concurrent.TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                waited += 10;
                LOG.warn("{}: close() has waited {} s for requests still in flight: {}", this, waited, pendingSummary());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("{}: interrupted while close() waited; the teardown goes on in the background", this);
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(this + " failed to close", e.getCause());
            }
        }
    }

    /** What holds the context open (read off the owner thread: a snapshot that may lag). */
    String pendingSummary() {
        int batched = 0;
        int kernel = 0;
        int pool = 0;
        StringBuilder list = new StringBuilder();
        for (int slot = 0; slot < depth; slot++) {
            byte st = slotStates[slot];
            if (st == SLOT_BATCHED) {
                batched++;
            } else if (st == SLOT_IN_KERNEL) {
                kernel++;
            } else if (st == SLOT_IN_FALLBACK) {
                pool++;
            }
            if (st != SLOT_FREE && list.length() < 200) {
                list.append(opName(this.ops[slot])).append('@').append(positions[slot]).append(' ');
            }
        }
        return "batched " + batched + ", in the kernel " + kernel + " (counted " + inKernel + "), on the blocking pool "
                + pool + ", waiting for a slot " + waiting.size() + ", free slots " + freeTop + "/" + depth
                + (list.length() > 0 ? ", requests: " + list.toString().trim() : "");
    }

    @Override
    public String toString() {
        return "AioContext[" + name + ", depth=" + depth + ", ctx=0x" + Long.toHexString(ctx) + ", eventfd=" + eventFd + "]";
    }

    // ================================================================== driver hooks (owner thread)

    /**
     * Reads the eventfd, reaps every completion the kernel has posted and completes their futures, then
     * submits what is batched. Owner thread only; drivers call it when the eventfd is readable.
     */
    public void processCompletions() {
        if ((int) STATE.getOpaque(this) == TERMINATED) {
            return;
        }
        if (!blockingEventFd) {
            EventFd.read(eventFd, eventFdBuf); // resets the counter; EAGAIN (already zero) is fine
        }
        reapAll();
        if (batchSize > 0) {
            flush();
        }
    }

    /**
     * Tears the context down because its owner is going away (an event loop shutting down) while the
     * context is still open: requests the kernel holds are waited for and complete as usual (a disk
     * access), pending polls and requests that had not reached the kernel fail with
     * {@link AioAbandonedException}, requests on the blocking pool fail when they return, and everything
     * is freed. Owner thread, or any thread once the owner
     * runs no more tasks. Idempotent.
     */
    public void abandon(String reason) {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s == TERMINATED) {
                return;
            }
            if (STATE.compareAndSet(this, s, CLOSING)) {
                break;
            }
        }
        AioAbandonedException cause = new AioAbandonedException("request abandoned: " + reason);
        if (ring != null) {
            reapAll(); // deliver what already completed; the last completion may let tryTerminate() finish
        }
        if ((int) STATE.getVolatile(this) == TERMINATED) {
            return;
        }
        // polls never end by themselves: fail them and cancel them in the kernel
        for (int slot = 0; slot < depth; slot++) {
            if (ops[slot] == OP_POLL && futures[slot] != null) {
                if (futures[slot].completeExceptionally(cause)) {
                    mFailed++;
                }
                if (slotStates[slot] == SLOT_IN_KERNEL) {
                    LinuxAio.io_cancel(ctx, iocb(slot), cancelResult);
                }
            }
        }
        // requests that never reached the kernel will not now
        for (int i = 0; i < batchSize; i++) {
            failAbandoned(batch[i], cause);
        }
        batchSize = 0;
        PendingOp op;
        while ((op = waiting.poll()) != null) {
            op.fail(cause);
        }
        // what the kernel holds completes within a disk access: wait for it and deliver it as usual
        while (inKernel > 0 && (int) STATE.getVolatile(this) == CLOSING) {
            long r = LinuxAio.io_getevents(ctx, 1, depth, getEventsBuf, waitTimeout);
            mGeteventsCalls++;
            if (r < 0 && r != -Errno.EINTR) {
                LOG.error("{}: io_getevents failed while abandoning: {}", this,
                        new ErrnoException("io_getevents", (int) -r).getMessage());
                break;
            }
            for (int i = 0; i < r; i++) {
                try {
                    dispatch(IoEvent.data(getEventsBuf, i), IoEvent.res(getEventsBuf, i));
                } catch (RuntimeException | Error e) {
                    LOG.error("{}: completing a request failed", this, e);
                }
            }
        }
        if (!STATE.compareAndSet(this, CLOSING, TERMINATED)) {
            return; // the last completion let tryTerminate() finish
        }
        // io_destroy waits for any I/O the kernel still holds and cancels pending polls: after it, the
        // kernel writes no buffer of ours again.
        LinuxAio.io_destroy(ctx);
        for (int slot = 0; slot < depth; slot++) {
            if (slotStates[slot] == SLOT_BATCHED || slotStates[slot] == SLOT_IN_KERNEL) {
                failAbandoned(slot, cause);
            }
            // SLOT_IN_FALLBACK: a pool thread still uses the descriptor and the buffer; when it returns it
            // finds the context terminated and fails the future, releases the file and frees the memory
        }
        releaseNative();
    }

    // ================================================================== submission

    /**
     * Starts a request: on the owner thread it goes into the current batch; from another thread it is
     * handed to the owner. Any thread. Ownership of {@code file}'s reference (acquired by the caller)
     * passes to the request.
     */
    void submit(AioFile file, int fd, byte op, byte bufKind, long position, long length, long arg,
                Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future) {
        if ((int) STATE.getVolatile(this) != OPEN) {
            if (file != null) {
                file.release();
            }
            future.completeExceptionally(new AioClosedException(this + " is closed"));
            return;
        }
        if (executor.inExecutorThread()) {
            start(file, fd, op, bufKind, position, length, arg, attachment, rwFlags, ioprio, future, false);
        } else {
            PendingOp pending = new PendingOp(file, fd, op, bufKind, position, length, arg, attachment, rwFlags,
                    ioprio, future);
            try {
                executor.execute(pending);
            } catch (RejectedExecutionException e) {
                pending.fail(new AioClosedException(this + " cannot take requests: its owner thread shut down"));
            }
        }
    }

    /** A request made off the owner thread, or waiting for a slot. */
    private final class PendingOp implements Runnable {
        final AioFile file;
        final int fd;
        final byte op;
        final byte bufKind;
        final long position;
        final long length;
        final long arg;
        final Object attachment;
        final int rwFlags;
        final int ioprio;
        final CompletableFuture<?> future;

        PendingOp(AioFile file, int fd, byte op, byte bufKind, long position, long length, long arg,
                  Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future) {
            this.file = file;
            this.fd = fd;
            this.op = op;
            this.bufKind = bufKind;
            this.position = position;
            this.length = length;
            this.arg = arg;
            this.attachment = attachment;
            this.rwFlags = rwFlags;
            this.ioprio = ioprio;
            this.future = future;
        }

        @Override
        public void run() {
            start(file, fd, op, bufKind, position, length, arg, attachment, rwFlags, ioprio, future, false);
        }

        /** Starts this request, which waited for a slot (it goes before any newer request). */
        void startQueued() {
            start(file, fd, op, bufKind, position, length, arg, attachment, rwFlags, ioprio, future, true);
        }

        void fail(Throwable cause) {
            if (file != null) {
                file.release();
            }
            mFailed++;
            future.completeExceptionally(cause);
        }
    }

    /**
     * Owner thread: takes a slot, fills its iocb and adds it to the batch, or queues the request when no
     * slot is free or older requests wait (first come, first served: a completion callback that issues a
     * new request must not take the slot an older waiting request is owed).
     */
    private void start(AioFile file, int fd, byte op, byte bufKind, long position, long length, long arg,
                       Object attachment, int rwFlags, int ioprio, CompletableFuture<?> future, boolean queued) {
        if (future.isDone()) { // cancelled before it started
            if (file != null) {
                file.release();
            }
            return;
        }
        if ((int) STATE.getOpaque(this) == TERMINATED) {
            if (file != null) {
                file.release();
            }
            mFailed++;
            future.completeExceptionally(new AioAbandonedException(this + " was torn down before the request started"));
            return;
        }
        if (op == OP_POLL && (int) STATE.getOpaque(this) == CLOSING) {
            mFailed++;
            future.completeExceptionally(new AioAbandonedException("poll cancelled: " + this + " was closed"));
            return;
        }
        if (freeTop == 0 || (!queued && !waiting.isEmpty())) {
            if (waiting.size() >= maxQueued) {
                if (file != null) {
                    file.release();
                }
                mFailed++;
                future.completeExceptionally(new RejectedExecutionException("AIO request refused: all " + depth
                        + " slots of " + this + " are in flight and " + waiting.size() + " requests already wait "
                        + "(maxQueued=" + maxQueued + "); raise queueDepth or maxQueued, or wait for completions"));
                return;
            }
            mRingFullWaits++;
            waiting.add(new PendingOp(file, fd, op, bufKind, position, length, arg, attachment, rwFlags, ioprio, future));
            return;
        }
        int slot = freeSlots[--freeTop];
        futures[slot] = future;
        attachments[slot] = attachment;
        files[slot] = file;
        ops[slot] = op;
        bufKinds[slot] = bufKind;
        fds[slot] = fd;
        userFlags[slot] = rwFlags;
        positions[slot] = position;
        lengths[slot] = length;
        scratch[slot] = 0;
        if (future instanceof PollFuture pf) {
            pf.slot = slot;
            pf.generation = generations[slot];
        }

        long buf;
        long nbytes;
        short opcode = op;
        try {
            switch (bufKind) {
                case BUF_BYTE_BUFFER -> {
                    ByteBuffer bb = (ByteBuffer) attachment;
                    bufStarts[slot] = bb.position();
                    nbytes = length;
                    if (bb.isDirect()) {
                        buf = MemorySegment.ofBuffer(bb).address();
                    } else {
                        buf = bounce(slot, file, nbytes);
                        if (op == OP_PWRITE) {
                            MemorySegment.copy(MemorySegment.ofBuffer(bb), 0, MemorySegment.ofAddress(buf).reinterpret(nbytes), 0, nbytes);
                        }
                    }
                }
                case BUF_SEGMENT -> {
                    MemorySegment seg = (MemorySegment) attachment;
                    nbytes = length;
                    if (seg.isNative()) {
                        buf = seg.address();
                    } else {
                        buf = bounce(slot, file, nbytes);
                        if (op == OP_PWRITE) {
                            MemorySegment.copy(seg, 0, MemorySegment.ofAddress(buf).reinterpret(nbytes), 0, nbytes);
                        }
                    }
                }
                case BUF_BYTE_BUFFERS -> {
                    ByteBuffer[] bbs = (ByteBuffer[]) attachment;
                    buf = iovecsFor(slot, file, bbs, op == OP_PWRITEV);
                    nbytes = bbs.length;
                }
                default -> {
                    buf = arg; // poll events
                    nbytes = 0;
                }
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            if (scratch[slot] != 0) {
                NativeMemory.free(scratch[slot]);
            }
            freeSlot(slot);
            if (file != null) {
                file.release();
            }
            mFailed++;
            future.completeExceptionally(e);
            return;
        }

        boolean nowait = false;
        boolean toFallback = false;
        if (nonBlockingSubmit && file != null && (rwFlags & AioAbi.RWF_NOWAIT) == 0) {
            boolean write = op == OP_PWRITE || op == OP_PWRITEV;
            boolean read = op == OP_PREAD || op == OP_PREADV;
            if (write && file.nowaitWriteRefused) {
                toFallback = true;
            } else if (read && !file.isDirect() && file.nowaitReadRefused) {
                toFallback = true;
            } else if (write || (read && !file.isDirect())) {
                nowait = true;
            }
        }
        nowaitAdded[slot] = nowait;
        int flags = AioAbi.IOCB_FLAG_RESFD | (ioprio != 0 ? AioAbi.IOCB_FLAG_IOPRIO : 0);
        long data = ((long) generations[slot] << 32) | slot;
        Iocb.prep(iocb(slot), opcode, fd, buf, nbytes, position < 0 ? 0 : position, data,
                rwFlags | (nowait ? AioAbi.RWF_NOWAIT : 0), flags, (short) ioprio, eventFd);
        mSubmitted++;
        if (toFallback) {
            toFallback(slot, 0);
            return;
        }
        slotStates[slot] = SLOT_BATCHED;
        batch[batchSize++] = slot;
        if (!flushScheduled) {
            flushScheduled = true;
            executor.execute(flushTask);
        }
    }

    private MemorySegment iocb(int slot) {
        return iocbs.asSlice(slot * Iocb.SIZE, Iocb.SIZE);
    }

    /** Native memory for a heap buffer's bytes, aligned for O_DIRECT; freed when the slot is. */
    private long bounce(int slot, AioFile file, long size) {
        int align = file != null && file.isDirect() ? Math.max(64, file.alignment().memoryAlignment()) : 64;
        long p = NativeMemory.allocate(size, align);
        if (p == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of native memory for a heap buffer");
        }
        scratch[slot] = p;
        return p;
    }

    /** Fills the slot's iovecs (or native memory of their own for a long vector, or heap buffers). */
    private long iovecsFor(int slot, AioFile file, ByteBuffer[] bbs, boolean write) {
        int n = bbs.length;
        long heapBytes = 0;
        int align = file != null && file.isDirect() ? Math.max(64, file.alignment().memoryAlignment()) : 64;
        for (ByteBuffer bb : bbs) {
            if (!bb.isDirect()) {
                heapBytes += AlignedBuffers.alignUp(bb.remaining(), align);
            }
        }
        MemorySegment iov;
        long heapBase = 0;
        if (n <= IOV_PER_SLOT && heapBytes == 0) {
            iov = iovecs.asSlice(slot * IoVec.SIZE * IOV_PER_SLOT, IoVec.SIZE * IOV_PER_SLOT);
        } else {
            long iovBytes = AlignedBuffers.alignUp(n * IoVec.SIZE, align);
            long p = NativeMemory.allocate(iovBytes + heapBytes, align);
            if (p == 0) {
                throw new OutOfMemoryError("cannot allocate " + (iovBytes + heapBytes) + " bytes of native memory for iovecs");
            }
            scratch[slot] = p;
            iov = MemorySegment.ofAddress(p).reinterpret(iovBytes + heapBytes);
            heapBase = p + iovBytes;
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer bb = bbs[i];
            int len = bb.remaining();
            long base;
            if (bb.isDirect()) {
                base = MemorySegment.ofBuffer(bb).address();
            } else {
                base = heapBase;
                if (write) {
                    MemorySegment.copy(MemorySegment.ofBuffer(bb), 0, MemorySegment.ofAddress(base).reinterpret(len), 0, len);
                }
                heapBase += AlignedBuffers.alignUp(len, align);
            }
            IoVec.set(iov, i, base, len);
        }
        return iov.address();
    }

    /** Owner thread: hands the batch to the kernel in as few {@code io_submit} calls as it takes. */
    void flush() {
        flushScheduled = false;
        // What this flush owes the kernel: the requests batched when it began (requests that completion
        // callbacks add meanwhile go out in the next flush: the owner, an event loop, gets its turn back),
        // in io_submits of at most maxSubmitBatch: the device starts on the first requests while the
        // block layer still takes the next ones (each O_DIRECT request costs microseconds in io_submit).
        int budget = batchSize;
        while (batchSize > 0 && budget > 0) {
            int n = Math.min(Math.min(batchSize, maxSubmitBatch), budget);
            for (int i = 0; i < n; i++) {
                iocbpp.setAtIndex(ValueLayout.JAVA_LONG, i, iocbs.address() + batch[i] * Iocb.SIZE);
            }
            long r = LinuxAio.io_submit(ctx, n, iocbpp);
            mSubmitCalls++;
            if (r > 0) {
                int accepted = (int) r;
                for (int i = 0; i < accepted; i++) {
                    slotStates[batch[i]] = SLOT_IN_KERNEL;
                }
                inKernel += accepted;
                dropFromBatch(accepted);
                budget -= accepted;
            } else if (r == -Errno.EINTR) {
                continue;
            } else if (r == -Errno.EAGAIN && inKernel > 0) {
                // the ring is full: the rest goes out when completions free room (processCompletions flushes)
                mRingFullWaits++;
                return;
            } else {
                // the first iocb was refused: fail it alone and go on with the others
                int slot = batch[0];
                dropFromBatch(1);
                budget--;
                complete(slot, r == 0 ? -Errno.EINVAL : r, "refused by io_submit");
            }
        }
        if (batchSize > 0 && !flushScheduled && (int) STATE.getOpaque(this) != TERMINATED) {
            flushScheduled = true;
            executor.execute(flushTask);
        }
    }

    private void dropFromBatch(int n) {
        System.arraycopy(batch, n, batch, 0, batchSize - n);
        batchSize -= n;
    }

    // ================================================================== completion

    private void reapAll() {
        for (int round = 0; round < 4; round++) {
            // a completion may have let close() finish: the ring is unmapped after that
            if ((int) STATE.getOpaque(this) == TERMINATED || reap() == 0) {
                return;
            }
        }
    }

    /** Owner thread: reads completions from the ring (or io_getevents) and completes their requests. */
    private int reap() {
        int n;
        if (ring != null) {
            int head = AioRing.head(ring);
            // Acquire: the kernel writes the io_event, then publishes tail; after this read every event
            // before tail is visible.
            int tail = AioRing.tailAcquire(ring);
            if (head == tail) {
                return 0;
            }
            n = 0;
            while (head != tail) {
                reapData[n] = IoEvent.data(ringEvents, head);
                reapRes[n] = IoEvent.res(ringEvents, head);
                n++;
                if (++head == ringNr) {
                    head = 0;
                }
            }
            // Release: our reads of the events happen before the kernel may see their slots as free.
            AioRing.headRelease(ring, head);
            mUserReaped += n;
        } else {
            long r = LinuxAio.io_getevents(ctx, 0, depth, getEventsBuf, zeroTimeout);
            mGeteventsCalls++;
            if (r <= 0) {
                if (r < 0 && r != -Errno.EINTR) {
                    LOG.error("io_getevents failed on {}: {}", this, new ErrnoException("io_getevents", (int) -r).getMessage());
                }
                return 0;
            }
            n = (int) r;
            for (int i = 0; i < n; i++) {
                reapData[i] = IoEvent.data(getEventsBuf, i);
                reapRes[i] = IoEvent.res(getEventsBuf, i);
            }
        }
        for (int i = 0; i < n; i++) {
            try {
                dispatch(reapData[i], reapRes[i]);
            } catch (RuntimeException | Error e) {
                // never lose the other events of the batch: the head is already past them
                LOG.error("{}: completing a request failed", this, e);
            }
        }
        return n;
    }

    private void dispatch(long data, long res) {
        int slot = (int) data;
        int generation = (int) (data >>> 32);
        if (slot < 0 || slot >= depth || generations[slot] != generation || slotStates[slot] != SLOT_IN_KERNEL) {
            mStale++;
            LOG.warn("{}: dropped a completion for slot {} generation {} (res {}): no such request is in flight",
                    this, slot, generation, res);
            return;
        }
        inKernel--;
        complete(slot, res, null);
    }

    /** Owner thread: the kernel (or the fallback pool) answered {@code res} for {@code slot}. */
    private void complete(int slot, long res, String detail) {
        if (nowaitAdded[slot] && (res == -Errno.EAGAIN || res == -Errno.EOPNOTSUPP)) {
            AioFile file = files[slot];
            byte op = ops[slot];
            if (res == -Errno.EOPNOTSUPP && userFlags[slot] == 0) { // else another RWF_* flag may be the cause
                if (op == OP_PWRITE || op == OP_PWRITEV) {
                    file.nowaitWriteRefused = true;
                } else {
                    file.nowaitReadRefused = true;
                }
            }
            toFallback(slot, 0);
            return;
        }
        if (nowaitAdded[slot] && res > 0 && res < lengths[slot]) {
            // RWF_NOWAIT stopped at the first page it would have waited for: the pool does the rest, so a
            // read inside the file returns the whole range, as a blocking pread would
            toFallback(slot, res);
            return;
        }
        finish(slot, res, detail);
    }

    private void finish(int slot, long res, String detail) {
        CompletableFuture<?> future = futures[slot];
        Object attachment = attachments[slot];
        AioFile file = files[slot];
        byte op = ops[slot];
        byte bufKind = bufKinds[slot];
        long position = positions[slot];
        long length = lengths[slot];
        int bufStart = bufStarts[slot];
        int fd = fds[slot];
        long mem = scratch[slot];
        RuntimeException problem = null;
        if (res > 0 && mem != 0 && (op == OP_PREAD || op == OP_PREADV)) {
            try {
                copyBack(slot, bufKind, attachment, res);
            } catch (RuntimeException e) {
                problem = e; // the caller changed the buffer while the kernel owned it
            }
        }
        if (mem != 0) {
            NativeMemory.free(mem);
        }
        freeSlot(slot);
        if (!waiting.isEmpty()) {
            startWaiting(); // the oldest waiting request gets the slot before any callback can ask for it
        }
        if (file != null) {
            file.release();
        }

        if (future.isDone()) {
            if (future.isCancelled()) {
                mFailed++; // cancelled by the caller: a cancelled poll completes here with its slot
            } // else failed by close() or abandon(), which counted it
        } else if (res < 0) {
            mFailed++;
            String where = file != null ? file.path().toString() + " (fd " + fd + ")" : "fd " + fd;
            future.completeExceptionally(new AioIOException(opName(op), where, position, length, (int) -res, detail));
        } else if (problem != null) {
            mFailed++;
            future.completeExceptionally(problem);
        } else {
            mCompleted++; // counted before the future completes: who sees the future done sees the count
            try {
                deliver(future, op, bufKind, attachment, bufStart, res);
            } catch (RuntimeException e) {
                mCompleted--;
                mFailed++;
                future.completeExceptionally(e);
            }
        }
        if ((int) STATE.getOpaque(this) == CLOSING) {
            tryTerminate();
        }
    }

    @SuppressWarnings("unchecked")
    private void deliver(CompletableFuture<?> future, byte op, byte bufKind, Object attachment, int bufStart, long res) {
        switch (op) {
            case OP_FSYNC, OP_FDSYNC -> ((CompletableFuture<Void>) future).complete(null);
            case OP_POLL -> ((CompletableFuture<Integer>) future).complete(Results.box((int) res));
            default -> {
                int n = (int) res;
                if (op == OP_PREAD || op == OP_PREADV) {
                    mBytesRead += n;
                } else {
                    mBytesWritten += n;
                }
                if (bufKind == BUF_BYTE_BUFFER) {
                    ByteBuffer bb = (ByteBuffer) attachment;
                    bb.position(bufStart + n);
                } else if (bufKind == BUF_BYTE_BUFFERS) {
                    long left = n;
                    for (ByteBuffer bb : (ByteBuffer[]) attachment) {
                        int k = (int) Math.min(left, bb.remaining());
                        bb.position(bb.position() + k);
                        left -= k;
                    }
                }
                ((CompletableFuture<Integer>) future).complete(Results.box(n));
            }
        }
    }

    /** Copies what a read put into native bounce memory back into the heap buffers. */
    private void copyBack(int slot, byte bufKind, Object attachment, long res) {
        long p = Iocb.aioBuf(iocb(slot));
        switch (bufKind) {
            case BUF_BYTE_BUFFER -> MemorySegment.copy(MemorySegment.ofAddress(p).reinterpret(res), 0,
                    MemorySegment.ofBuffer((ByteBuffer) attachment), 0, res);
            case BUF_SEGMENT -> MemorySegment.copy(MemorySegment.ofAddress(p).reinterpret(res), 0,
                    (MemorySegment) attachment, 0, res);
            case BUF_BYTE_BUFFERS -> {
                ByteBuffer[] bbs = (ByteBuffer[]) attachment;
                MemorySegment iov = MemorySegment.ofAddress(p).reinterpret(bbs.length * IoVec.SIZE);
                long left = res;
                for (int i = 0; i < bbs.length && left > 0; i++) {
                    int k = (int) Math.min(left, bbs[i].remaining());
                    if (!bbs[i].isDirect() && k > 0) {
                        MemorySegment.copy(MemorySegment.ofAddress(IoVec.base(iov, i)).reinterpret(k), 0,
                                MemorySegment.ofBuffer(bbs[i]), 0, k);
                    }
                    left -= k;
                }
            }
            default -> {
            }
        }
    }

    private void freeSlot(int slot) {
        futures[slot] = null;
        attachments[slot] = null;
        files[slot] = null;
        scratch[slot] = 0;
        slotStates[slot] = SLOT_FREE;
        generations[slot]++;
        freeSlots[freeTop++] = slot;
    }

    private void startWaiting() {
        PendingOp op;
        while (freeTop > 0 && (op = waiting.poll()) != null) {
            op.startQueued();
        }
    }

    private static String opName(byte op) {
        return switch (op) {
            case OP_PREAD -> "pread";
            case OP_PWRITE -> "pwrite";
            case OP_PREADV -> "preadv";
            case OP_PWRITEV -> "pwritev";
            case OP_FSYNC -> "fsync";
            case OP_FDSYNC -> "fdatasync";
            case OP_POLL -> "poll";
            default -> "op " + op;
        };
    }

    // ================================================================== fallback pool

    /**
     * Runs the request on the blocking pool, from byte {@code done} on ({@code done} bytes were already
     * transferred by a short non-blocking attempt).
     */
    private void toFallback(int slot, long done) {
        slotStates[slot] = SLOT_IN_FALLBACK;
        mFallbacks++;
        MemorySegment iocb = iocb(slot);
        byte op = ops[slot];
        long[] iov;
        if (op == OP_PREAD || op == OP_PWRITE) {
            iov = new long[] {Iocb.aioBuf(iocb), Iocb.aioNbytes(iocb)};
        } else {
            // a copy: the pool thread must not read the context's memory, which abandon() may free
            int n = (int) Iocb.aioNbytes(iocb);
            iov = MemorySegment.ofAddress(Iocb.aioBuf(iocb)).reinterpret(n * IoVec.SIZE).toArray(ValueLayout.JAVA_LONG);
        }
        if (done > 0) {
            iov = skip(iov, done);
        }
        nowaitAdded[slot] = false; // the pool's own EAGAIN or EOPNOTSUPP is the request's answer
        FallbackTask task = new FallbackTask(slot, generations[slot], op, fds[slot], iov, Iocb.aioOffset(iocb) + done,
                userFlags[slot] & ~AioAbi.RWF_NOWAIT, attachments[slot], scratch[slot], files[slot], futures[slot], done);
        try {
            FallbackPool.executor().execute(task);
        } catch (RejectedExecutionException e) {
            finish(slot, -Errno.EAGAIN, "the fallback pool refused the request");
        }
    }

    /** The iovec pairs {@code iov} without their first {@code n} bytes. */
    private static long[] skip(long[] iov, long n) {
        int i = 0;
        while (i < iov.length && n >= iov[i + 1]) {
            n -= iov[i + 1];
            i += 2;
        }
        long[] rest = java.util.Arrays.copyOfRange(iov, i, iov.length);
        if (rest.length > 0) {
            rest[0] += n;
            rest[1] -= n;
        }
        return rest;
    }

    /**
     * A read or write the kernel would have blocked on, run as a blocking call on the pool, then its
     * result delivered on the owner thread (the same object is the owner's task: no allocation).
     */
    private final class FallbackTask implements Runnable {
        final int slot;
        final int generation;
        final byte op;
        final int fd;
        final long[] iov; // base, len pairs
        final long offset;
        final int flags;
        final Object keepAlive; // the user's buffer stays reachable while the pool thread uses it
        final long scratchMem;
        final AioFile file;
        final CompletableFuture<?> future;
        final long prefix; // bytes transferred before the pool took over
        boolean done;
        long res;

        FallbackTask(int slot, int generation, byte op, int fd, long[] iov, long offset, int flags,
                     Object keepAlive, long scratchMem, AioFile file, CompletableFuture<?> future, long prefix) {
            this.slot = slot;
            this.generation = generation;
            this.op = op;
            this.fd = fd;
            this.iov = iov;
            this.offset = offset;
            this.flags = flags;
            this.keepAlive = keepAlive;
            this.scratchMem = scratchMem;
            this.file = file;
            this.future = future;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            if (!done) {
                res = blockingIo();
                done = true;
                try {
                    executor.execute(this);
                } catch (RejectedExecutionException e) {
                    orphaned();
                }
                return;
            }
            if ((int) STATE.getVolatile(AioContext.this) == TERMINATED) {
                orphaned();
                return;
            }
            // after a partial non-blocking transfer an error only cuts the count short, as with a blocking call
            long total = res >= 0 ? prefix + res : prefix > 0 ? prefix : res;
            complete(slot, total, "blocking fallback");
        }

        /**
         * The context was torn down (its owner shut down) while this ran: the slot was left to this task,
         * which now ends the request, now that no thread uses the descriptor or the memory any more.
         */
        private void orphaned() {
            if (scratchMem != 0) {
                NativeMemory.free(scratchMem);
            }
            if (file != null) {
                file.release();
            }
            future.completeExceptionally(new AioAbandonedException("request abandoned: " + AioContext.this
                    + " was torn down while the request ran on the blocking pool"));
        }

        private long blockingIo() {
            long r;
            int iovcnt = iov.length / 2;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment vec = a.allocateFrom(ValueLayout.JAVA_LONG, iov);
                boolean read = op == OP_PREAD || op == OP_PREADV;
                do {
                    r = read ? LibC.preadv2(fd, vec, iovcnt, offset, flags) : LibC.pwritev2(fd, vec, iovcnt, offset, flags);
                } while (r == -Errno.EINTR);
            } catch (RuntimeException e) {
                LOG.error("fallback {} on fd {} failed", opName(op), fd, e);
                r = -Errno.EIO;
            } finally {
                java.lang.ref.Reference.reachabilityFence(keepAlive);
            }
            return r;
        }
    }

    // ================================================================== poll cancellation

    /** A poll whose cancellation is passed to the kernel. */
    static final class PollFuture extends CompletableFuture<Integer> {
        private final AioContext context;
        volatile int slot = -1;
        volatile int generation;

        PollFuture(AioContext context) {
            this.context = context;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                context.cancelPoll(this);
            }
            return cancelled;
        }
    }

    private void cancelPoll(PollFuture future) {
        Runnable cancel = () -> {
            int slot = future.slot;
            if (slot < 0 || generations[slot] != future.generation) {
                return; // not started (start() skips done futures) or already completed
            }
            if (slotStates[slot] == SLOT_BATCHED) {
                flush();
            }
            if (slotStates[slot] == SLOT_IN_KERNEL) {
                // EINPROGRESS: the kernel completes the poll through the ring; its slot is freed then.
                LinuxAio.io_cancel(ctx, iocb(slot), cancelResult);
            }
        };
        if (executor.inExecutorThread()) {
            cancel.run();
        } else {
            try {
                executor.execute(cancel);
            } catch (RejectedExecutionException ignored) {
                // the owner is gone: abandon() has failed the poll already
            }
        }
    }

    // ================================================================== closing

    private void beginClose() {
        AioAbandonedException cause = null;
        for (java.util.Iterator<PendingOp> it = waiting.iterator(); it.hasNext(); ) {
            PendingOp op = it.next();
            if (op.op == OP_POLL) {
                it.remove();
                op.fail(new AioAbandonedException("poll cancelled: " + this + " was closed"));
            }
        }
        for (int slot = 0; slot < depth; slot++) {
            if (ops[slot] == OP_POLL && futures[slot] != null && !futures[slot].isDone()) {
                if (cause == null) {
                    cause = new AioAbandonedException("poll cancelled: " + this + " was closed");
                }
                mFailed++;
                futures[slot].completeExceptionally(cause);
                if (slotStates[slot] == SLOT_BATCHED) {
                    flush();
                }
                if (slotStates[slot] == SLOT_IN_KERNEL) {
                    LinuxAio.io_cancel(ctx, iocb(slot), cancelResult);
                }
            }
        }
        if (batchSize > 0) {
            flush();
        }
        tryTerminate();
    }

    private void tryTerminate() {
        if (freeTop == depth && waiting.isEmpty() && batchSize == 0 && STATE.compareAndSet(this, CLOSING, TERMINATED)) {
            LinuxAio.io_destroy(ctx);
            releaseNative();
        }
    }

    private void failAbandoned(int slot, AioAbandonedException cause) {
        CompletableFuture<?> future = futures[slot];
        AioFile file = files[slot];
        if (scratch[slot] != 0) {
            NativeMemory.free(scratch[slot]);
        }
        freeSlot(slot);
        if (file != null) {
            file.release();
        }
        if (future != null && !future.isDone()) {
            mFailed++;
            future.completeExceptionally(cause);
        }
    }

    /** Closes the eventfd once no thread may still write a wake-up to it, frees the arena, stops the thread. */
    private void releaseNative() {
        if (released) {
            return;
        }
        released = true;
        try {
            executor.terminating(this);
        } catch (RuntimeException e) {
            LOG.warn("{}: the driver failed to let go of the eventfd", this, e);
        }
        eventFdClosed = true;
        while (wakers.get() != 0) {
            Thread.onSpinWait();
        }
        LibC.close(eventFd);
        arena.close();
        NativeMemory.accountArena(-arenaBytes);
        if (completionThread != null) {
            completionThread.stop();
        }
        closeFuture.complete(null);
    }

    /** Wakes a completion thread blocked on the eventfd. Any thread; never writes to a closed eventfd. */
    void wakeUp(MemorySegment one) {
        wakers.incrementAndGet();
        try {
            if (!eventFdClosed) {
                EventFd.write(eventFd, one);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    /** Blocks the completion thread until the eventfd is signalled. */
    void awaitEventFd() {
        long r;
        do {
            r = EventFd.read(eventFd, eventFdBuf);
        } while (r == -Errno.EINTR);
    }

    void ensureOpen() throws AioClosedException {
        if ((int) STATE.getVolatile(this) != OPEN) {
            throw new AioClosedException(this + " is closed");
        }
    }
}

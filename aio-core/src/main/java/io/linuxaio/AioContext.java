package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.engine.BlockingCalls;
import io.linuxaio.engine.ContextBridge;
import io.linuxaio.engine.Engine;
import io.linuxaio.engine.EngineSettings;
import io.linuxaio.engine.NativeMemory;
import io.linuxaio.spi.AioDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Linux AIO context: a kernel context ({@code io_setup}), one eventfd that every request names
 * ({@code IOCB_FLAG_RESFD}), a table of request slots, the batch of requests waiting for
 * {@code io_submit}, and the reaping of completions from the kernel's mmapped ring.
 *
 * <h2>Threading</h2>
 * Every context has one owner thread that submits and reaps; no lock is taken on the hot path. Requests
 * made on the owner thread go into the current batch, and the batch is handed to the kernel in one
 * {@code io_submit} when the owner's current task ends. Requests made on any other thread are handed to
 * the owner. Every future of the context completes on the owner thread: the library's completion thread
 * for a context from {@link #open()}, or a Netty event loop with {@code aio-netty} (drivers make their
 * contexts through {@link AioDriver}). Dependents attached to a future before it completes run there
 * too, so they must not block; as with any {@code CompletableFuture}, one attached after completion runs
 * on the attaching thread, and a thread that returns from {@code get()}/{@code join()} on the future or
 * attaches to it as it completes may run pending ones (use the {@code ...Async} forms with
 * {@link #ownerExecutor()} to be sure of the owner).
 * The exception, on by default ({@link Builder#inlineCachedReads}): a buffered read whose bytes are all
 * in the page cache is done on the calling thread and, off the owner, its future is complete when the call
 * returns (its dependents then run on the caller; made on the owner, it completes there after the caller's
 * task). {@code inlineCachedReads(false)} keeps every completion on the
 * owner thread.
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
 * eventfd and frees the memory. No future is left pending.
 */
public final class AioContext implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AioContext.class);

    /** The queue depth of {@link #open()}. */
    public static final int DEFAULT_QUEUE_DEPTH = 256;
    /**
     * The most iocbs one {@code io_submit} carries, by default: short submissions let the device start on
     * the first requests while the block layer takes the next (the README's benchmarks section has the
     * measurements). System property {@code io.linuxaio.maxSubmitBatch}.
     */
    public static final int DEFAULT_MAX_SUBMIT_BATCH = 4;

    /** The number of requests that may wait for a slot, by default. */
    public static final int DEFAULT_MAX_QUEUED = 65_536;

    /** How often {@link #close()} says what it still waits for. */
    private static final long CLOSE_REPORT_SECONDS = 10;

    static {
        ContextBridge.register(new ContextBridge() {
            @Override
            public EngineSettings settings(Builder builder) {
                return builder.settings();
            }

            @Override
            public AioContext wrap(Engine engine) {
                return new AioContext(engine);
            }
        });
    }

    private final Engine engine;

    private AioContext(Engine engine) {
        this.engine = engine;
    }

    // ================================================================== creation

    /**
     * A context of {@link #DEFAULT_QUEUE_DEPTH} driven by a completion thread of its own. Any thread.
     *
     * @return the new context; close it when done
     * @throws IOException when the kernel refuses the context ({@code aio-max-nr} exhausted, say)
     */
    public static AioContext open() throws IOException {
        return builder().build();
    }

    /** {@return a builder of contexts} Any thread. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a new context. Not thread-safe: one thread configures a builder. */
    public static final class Builder {
        private int queueDepth = DEFAULT_QUEUE_DEPTH;
        private int maxQueued = DEFAULT_MAX_QUEUED;
        private boolean userSpaceReaping = true;
        private boolean nonBlockingSubmit = true;
        private String name;
        private ThreadFactory threadFactory;
        private int maxSubmitBatch = Integer.getInteger("io.linuxaio.maxSubmitBatch", DEFAULT_MAX_SUBMIT_BATCH);
        private boolean inlineCachedReads = true;

        private static final int MAX_QUEUE_DEPTH = 1 << 20;

        private Builder() {
        }

        /**
         * The most requests in flight at once (the {@code nr_events} of {@code io_setup}); it counts against
         * the system-wide {@code /proc/sys/fs/aio-max-nr}. Default {@value AioContext#DEFAULT_QUEUE_DEPTH}.
         *
         * @param queueDepth 1 to 1,048,576
         * @return this builder
         * @throws IllegalArgumentException if {@code queueDepth} is out of range
         */
        public Builder queueDepth(int queueDepth) {
            if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH) {
                throw new IllegalArgumentException("queueDepth " + queueDepth + " is out of range 1.." + MAX_QUEUE_DEPTH);
            }
            this.queueDepth = queueDepth;
            return this;
        }

        /**
         * How many requests may wait for a free slot before new ones are refused.
         * Default {@value AioContext#DEFAULT_MAX_QUEUED}.
         *
         * @param maxQueued 0 or more
         * @return this builder
         * @throws IllegalArgumentException if {@code maxQueued} is negative
         */
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
         *
         * @param enabled whether to reap in user space
         * @return this builder
         */
        public Builder userSpaceReaping(boolean enabled) {
            this.userSpaceReaping = enabled;
            return this;
        }

        /**
         * Whether requests that could block {@code io_submit} are submitted with {@code RWF_NOWAIT} and
         * moved to the fallback pool when the kernel would block (default true). False submits every
         * request as it is: buffered I/O then runs synchronously inside {@code io_submit} on the owner thread.
         *
         * @param enabled whether to submit with {@code RWF_NOWAIT}
         * @return this builder
         */
        public Builder nonBlockingSubmit(boolean enabled) {
            this.nonBlockingSubmit = enabled;
            return this;
        }

        /**
         * The most iocbs one {@code io_submit} carries (default {@value AioContext#DEFAULT_MAX_SUBMIT_BATCH});
         * a longer batch goes out in several calls.
         *
         * @param maxSubmitBatch 1 or more
         * @return this builder
         * @throws IllegalArgumentException if {@code maxSubmitBatch} is not positive
         */
        public Builder maxSubmitBatch(int maxSubmitBatch) {
            if (maxSubmitBatch < 1) {
                throw new IllegalArgumentException("maxSubmitBatch " + maxSubmitBatch + " must be positive");
            }
            this.maxSubmitBatch = maxSubmitBatch;
            return this;
        }

        /**
         * Whether an asynchronous buffered read whose bytes are all in the page cache is done on the calling
         * thread (default true). Such a read is done as one {@code preadv2(RWF_NOWAIT)} on the caller: no
         * hand-off, no {@code io_submit}, callers on every core read in parallel. Off the owner its future is
         * complete when {@code readAsync} returns, and its dependents run on the caller, as for any completed
         * future. On the owner its future completes after the caller's current task, on the owner, so that
         * a chain of reads made in callbacks loops instead of recursing, and the owner still gets to its
         * other work between rounds of a few hundred. Turn this off to have every future complete on the
         * owner thread after an {@code io_submit}.
         *
         * <p>Off the owner, the read is tried only when {@code cachestat(2)} says the page cache holds its
         * whole range, so a cold read never starts the kernel's readahead in the caller (submitting that I/O
         * can block it: an event loop serving cold downloads stalled hundreds of milliseconds without the
         * check). A page evicted between the check and the read only sends the rest of the read the usual
         * way. On the owner thread (an event loop) a read that continues a stream (it starts at 0, or where
         * one of the file's recent reads there ended) is done inline only when it also reaches the end of the
         * file: a cached page can carry the kernel's readahead mark, and the stream's read that meets it
         * starts the next readahead window, which can wait for the disk. Other reads on the owner are tried
         * at once, with no check: the usual way there is an {@code io_submit} with {@code RWF_NOWAIT}, in
         * which the kernel does the same as in {@code preadv2(RWF_NOWAIT)}.
         * Where the kernel has no {@code cachestat} (before Linux 6.5) asynchronous reads are never done
         * inline. Not for {@code O_DIRECT} files, reads with {@code RWF_*} flags or a priority, nor while
         * a write of the same file is in flight. {@link AioFile#read} tries it whatever this says (its
         * caller waits anyway). Requires {@link #nonBlockingSubmit}.
         *
         * @param enabled whether to do fully cached asynchronous reads on the calling thread
         * @return this builder
         */
        public Builder inlineCachedReads(boolean enabled) {
            this.inlineCachedReads = enabled;
            return this;
        }

        /**
         * The name of the context, used for its completion thread and in messages (default "linux-aio").
         *
         * @param name the name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Names the context {@code name} unless {@link #name} was called. */
        Builder nameIfUnset(String name) {
            if (this.name == null) {
                this.name = name;
            }
            return this;
        }

        /**
         * What makes the completion thread that {@link #build()} starts (default: a daemon thread named after
         * the context). The thread runs every callback of the context; whether it is a daemon, and its name,
         * are the factory's choice. Drivers ({@link AioDriver#create}) own their contexts on threads of their
         * own and ignore it.
         *
         * @param threadFactory the factory of the completion thread; not null
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * A context driven by a completion thread of its own, started here. (Drivers that own contexts on
         * threads of their own use {@link AioDriver#create}.)
         *
         * @return the new context; close it when done
         * @throws IOException when the kernel refuses the context ({@code aio-max-nr} exhausted, say)
         */
        public AioContext build() throws IOException {
            return new AioContext(new Engine(settings(), null));
        }

        private EngineSettings settings() {
            return new EngineSettings(name != null ? name : "linux-aio", queueDepth, maxQueued, userSpaceReaping,
                    nonBlockingSubmit, maxSubmitBatch, inlineCachedReads, threadFactory);
        }
    }

    // ================================================================== files and requests

    /**
     * Opens a file for requests through this context. This call blocks while the kernel opens the
     * file: do not call it on an event loop (use {@link #openAsync}). Any thread.
     *
     * @param path the file
     * @param options {@link java.nio.file.StandardOpenOption}s, {@link AioOpenOption}s and
     *                {@link java.nio.file.LinkOption#NOFOLLOW_LINKS}; READ when neither READ nor WRITE is given
     * @return the open file; close it when done
     * @throws NotRegularFileException when the path is a directory, a FIFO, a socket or a character device
     * @throws IOException when the file cannot be opened: {@link java.nio.file.NoSuchFileException},
     *         {@link java.nio.file.AccessDeniedException}, {@link java.nio.file.FileAlreadyExistsException}, or an
     *         {@link io.linuxaio.abi.ErrnoException} naming the path
     * @throws AioClosedException when the context is closed
     * @throws UnsupportedOperationException for {@link java.nio.file.StandardOpenOption#APPEND} (every write of an
     *         {@link AioFile} names its position, as {@code AsynchronousFileChannel}'s do, which refuses it too) and for
     *         options of other kinds
     */
    public AioFile open(Path path, OpenOption... options) throws IOException {
        engine.ensureOpen();
        return AioFile.open(this, path, options);
    }

    /**
     * Opens a file on the blocking pool, so that an event loop can open files without blocking. Any thread.
     *
     * @param path the file
     * @param options as for {@link #open}
     * @return completes on the owner thread with the open file, or with the error {@link #open} would throw
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
     * Runs {@code call}, a blocking call, on the library's pool of blocking calls (apart from the threads
     * that do the I/O the kernel would have blocked on, so a call that waits long holds up no read or
     * write): the way an event loop does the few things that have no asynchronous form (resolving a path,
     * opening a file) without blocking. A result that is {@link AutoCloseable} and that nobody can receive
     * any more (the future was cancelled, or the owner shut down) is closed. Any thread.
     *
     * @param <T> the result's type
     * @param call the blocking call
     * @return completes on the owner thread with the call's result or its exception; on a closed context
     *         the call is not run and the future fails with {@link AioClosedException}
     */
    public <T> CompletableFuture<T> supplyBlocking(Callable<T> call) {
        return BlockingCalls.supply(engine, Objects.requireNonNull(call, "call"));
    }

    /**
     * Polls {@code fd} (a pipe, a socket, an eventfd: anything {@code poll(2)} takes) for {@code events}.
     * Cancelling the future cancels the poll in the kernel ({@code io_cancel}); the kernel gives its slot
     * back shortly after, from a work queue. The descriptor must stay open until the future completes.
     * Any thread; completes on the owner thread.
     *
     * @param fd the descriptor
     * @param events {@link AioAbi#POLLIN}, {@link AioAbi#POLLOUT}...
     * @return the events of the wake-up, which may hold more than were asked for (a socket polled for
     *         POLLIN may answer POLLIN|POLLRDNORM|POLLPRI...): mask the result
     * @throws IllegalArgumentException if {@code fd} is negative
     */
    public CompletableFuture<Integer> poll(int fd, int events) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd + " is negative");
        }
        return engine.poll(fd, events);
    }

    // ================================================================== the owner

    /**
     * {@return an executor that runs tasks on this context's owner thread, in order: the place to touch state
     * that the context's callbacks also touch, without a lock} Any thread; its {@code execute} throws
     * {@link RejectedExecutionException} once the owner has shut down.
     */
    public Executor ownerExecutor() {
        return engine.owner();
    }

    /** {@return whether the calling thread is this context's owner thread} Any thread. */
    public boolean inOwnerThread() {
        return engine.owner().inOwnerThread();
    }

    // ================================================================== state

    /** {@return the queue depth: the most requests in flight at once} Any thread. */
    public int queueDepth() {
        return engine.queueDepth();
    }

    /** {@return the name given at creation} Any thread. */
    public String name() {
        return engine.name();
    }

    /**
     * {@return the native bytes the library holds now, in every context: arenas, bounce buffers, iovec arrays}
     * Back to its earlier value once the contexts opened since are closed and their requests done. Any thread.
     */
    public static long liveNativeBytes() {
        return NativeMemory.liveBytes();
    }

    /**
     * {@return whether completions are reaped from the mmapped ring (true) or with {@code io_getevents}} Any thread.
     */
    public boolean isUserSpaceReaping() {
        return engine.isUserSpaceReaping();
    }

    /** {@return whether the context accepts requests (not closed)} Any thread. */
    public boolean isOpen() {
        return engine.isOpen();
    }

    /**
     * {@return a future that completes when the context has been torn down and every native resource freed}
     * Any thread.
     */
    public CompletableFuture<Void> closeFuture() {
        return engine.closeFuture();
    }

    /** {@return a snapshot of the counters} Any thread (a snapshot off the owner thread may lag a little). */
    public AioMetrics metrics() {
        return engine.metrics();
    }

    /**
     * Closes the context: new requests are refused, accepted ones finish, pending polls are cancelled,
     * then the kernel context, the eventfd and the memory are released. Idempotent. Called from another
     * thread it waits until all of that is done, whatever the thread's interrupt status (an interrupt
     * during the wait is re-asserted when it returns); on the owner thread it returns at once (see
     * {@link #closeFuture()}). Any thread.
     */
    @Override
    public void close() {
        engine.close();
        if (!inOwnerThread()) {
            awaitClosed();
        }
    }

    /**
     * Waits for the teardown. The kernel owns the buffers of requests in flight, so nothing can be freed
     * before they complete: if that takes long, say what is still pending, every {@value #CLOSE_REPORT_SECONDS} s.
     */
    private void awaitClosed() {
        long waited = 0;
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    engine.closeFuture().get(CLOSE_REPORT_SECONDS, TimeUnit.SECONDS);
                    return;
                } catch (TimeoutException e) {
                    waited += CLOSE_REPORT_SECONDS;
                    LOG.warn("{}: close() has waited {} s for requests still in flight: {}", this, waited, engine.pendingSummary());
                } catch (InterruptedException e) {
                    interrupted = true; // close() keeps its promise; the interrupt is re-asserted when it is kept
                } catch (ExecutionException e) {
                    throw new IllegalStateException(this + " failed to close", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The engine, for the files of this context and for tests. */
    Engine engine() {
        return engine;
    }

    @Override
    public String toString() {
        return engine.toString();
    }
}

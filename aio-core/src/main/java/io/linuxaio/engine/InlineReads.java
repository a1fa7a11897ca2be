package io.linuxaio.engine;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.CacheStat;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.Statx;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page-cache fast path: a buffered read tried first on the calling thread as one
 * {@code preadv2(RWF_NOWAIT)}. When every byte is in the page cache the read is done there, with no
 * hand-off to the owner and no {@code io_submit}: callers on every core copy in parallel. EAGAIN (the
 * first page is not cached) or a short count (a later page is not) sends the request, or its rest, the
 * usual way. Any thread; what the owner's reads keep ({@link ReadStreams}, {@link OwnerCompletions}) is
 * touched on the owner only.
 *
 * <p>An asynchronous read asks {@code cachestat(2)} first whether the page cache holds the whole range,
 * and is tried only when it does: on a miss, {@code preadv2(RWF_NOWAIT)} starts the kernel's readahead in
 * the caller before it answers EAGAIN, and submitting that I/O can block the caller (seen here without
 * the check: an event loop serving 8 cold downloads stalled 240 to 460 ms per turn). The check costs
 * about half a microsecond and starts nothing. Without {@code cachestat} (Linux before 6.5) asynchronous
 * reads are never done inline. A blocking read's caller waits anyway, so it tries without the check.
 *
 * <p>On the owner thread (an event loop) the rule depends on whether the read continues a stream
 * ({@link ReadStreams}: it starts where one of the file's recent reads on the owner ended, or at offset 0).
 * <ul>
 *   <li>A stream's read is done inline only when it also reaches the end of the file. A cached page can
 *   carry the kernel's readahead mark, left by an earlier sequential read; the read that meets it starts the
 *   next readahead window, up to {@code read_ahead_kb} past it, and waits while the disk's queue is full.
 *   With the residency check alone, a loop serving 8 cold 64 MiB downloads (whose next chunks were already
 *   read ahead) stalled 190 to 410 ms; with the owner's stream reads sent the usual way 24 ms. Why
 *   {@code io_submit} stalled less is not known (a probe here saw it start the same readahead at a mark);
 *   the rule stands because it measured so. A read to the end of the file has no page past it to read
 *   ahead: whole small files, the last chunk of a large one.
 *   <li>Any other read (random access) is tried at once, with no residency check: the usual path on the
 *   owner is an {@code io_submit} with {@code RWF_NOWAIT}, in which the kernel does the same as in
 *   {@code preadv2(RWF_NOWAIT)}: it copies cached pages, starts readahead on a miss or at a mark (measured
 *   here, both calls alike) and answers EAGAIN for an uncached page. Trying it first costs no more than that
 *   and saves the event, the reap and the hand-off when the page is there.
 * </ul>
 */
final class InlineReads {

    /**
     * How often a thread's inline reads look at the depth of its stack, off the owner. A future done inline
     * is complete when the call returns, so a callback attached to it runs at once, on the caller's stack: the
     * pattern "in the callback, read the next block" recurses once per cached read and would end in a
     * StackOverflowError (which CompletableFuture swallows into a dependent nobody looks at). Every this many
     * inline reads a thread checks its stack (a walk allocates about 2 KB and takes a couple of microseconds:
     * every 8 reads it was 427 bytes and 1.8 us a read in {@code SubmitReapBenchmark.inlineOffOwner}, every 32
     * with no method info 84 bytes and 1.4 us); once it is deep, every read checks, and goes the usual way
     * until the stack is shallow again: it completes later on the owner, on a fresh stack, which ends the
     * recursion, unless the owner completes it before the caller attaches its callback (then
     * CompletableFuture runs the callback on the caller all the same; on this 2-core machine a chain's
     * callbacks stayed on the caller that way for thousands of reads in a row in some runs, the woken owner
     * taking the caller's core). A thread whose own stack is deeper than {@link #MAX_STACK_FRAMES} reads
     * nothing inline. On the owner, futures complete in rounds of their own ({@link OwnerCompletions}) and
     * nothing walks. A blocking read ({@code AioFile.read}) returns a count, with no future a callback could
     * hang on.
     */
    static final int STACK_CHECK_EVERY = 32;
    /**
     * The stack depth, in frames (hidden ones included: lambda forms take room too), past which a read is not
     * done inline: room for a framework's own deep stacks, and still far below what a thread's default 1 MiB
     * stack holds.
     */
    static final int MAX_STACK_FRAMES = 512;

    private static final StackWalker STACK = StackWalker.getInstance(
            Set.of(StackWalker.Option.SHOW_HIDDEN_FRAMES, StackWalker.Option.DROP_METHOD_INFO));

    /**
     * What a thread keeps for its inline reads, so that nothing is allocated per read: one iovec, the
     * structs of {@code cachestat} and {@code statx}, and a count.
     */
    private static final class PerThread {
        final MemorySegment iovec;
        final MemorySegment cacheRange;
        final MemorySegment cacheStat;
        final MemorySegment statx;
        int sinceStackCheck;
        /** The last check found the stack deep: every read checks until it is not. */
        boolean deep;
        /** The file's size when the last residency check asked for it, else Long.MAX_VALUE. */
        long knownSize;

        PerThread() {
            Arena arena = Arena.ofAuto();
            iovec = arena.allocate(IoVec.SIZE, 8);
            cacheRange = arena.allocate(CacheStat.RANGE);
            cacheStat = arena.allocate(CacheStat.LAYOUT);
            statx = arena.allocate(Statx.LAYOUT);
        }
    }

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    private final boolean enabled;
    /** Reads done inline on other threads than the owner, and their bytes (the owner's are in {@link Counters}). */
    private final LongAdder reads = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    /** @param enabled whether asynchronous reads may be done inline (when {@code cachestat} exists) */
    InlineReads(boolean enabled) {
        this.enabled = enabled && CacheStat.isAvailable();
    }

    /** {@return whether asynchronous reads are tried inline} */
    boolean enabled() {
        return enabled;
    }

    /**
     * Whether a read may be tried inline: enabled, a buffered file (O_DIRECT reads bypass the cache), no
     * flags or priority of the caller's, and no write of the file in flight (an inline read must not pass a
     * write made before it: the ordering rule).
     */
    boolean applies(FileHandle file, int rwFlags, int ioprio, boolean callerWaits) {
        return (enabled || callerWaits) && !file.isDirect() && rwFlags == 0 && ioprio == 0 && !file.hasWritesInFlight();
    }

    /**
     * Reads up to {@code length} bytes at {@code position} into native memory at {@code address}, without
     * waiting for the disk. Returns the count (0 at or past the end of the file), or -1 when nothing could
     * be read without waiting or the call failed (the usual path then does it, and reports its errors).
     * The caller holds a reference to the file.
     */
    private long read(PerThread t, FileHandle file, long address, long length, long position, boolean asynchronous,
                      boolean onOwner) {
        t.knownSize = Long.MAX_VALUE; // until cached() asks for the size
        if (asynchronous) {
            boolean randomOnOwner = onOwner && !file.readStreams().continues(position, length);
            if (!randomOnOwner && !cached(t, file, position, length, onOwner)) {
                return -1; // first: on the owner, most stream reads end here without a system call
            }
            // no recursion to bound for a blocking read (it returns a count) or on the owner (OwnerCompletions)
            if (!onOwner && (t.deep || ++t.sinceStackCheck >= STACK_CHECK_EVERY)) {
                t.sinceStackCheck = 0;
                t.deep = STACK.walk(frames -> frames.skip(MAX_STACK_FRAMES).findAny().isPresent());
                if (t.deep) {
                    return -1;
                }
            }
        }
        MemorySegment iov = t.iovec;
        IoVec.set(iov, 0, address, length);
        long r = LibC.preadv2(file.fd(), iov, 1, position, AioAbi.RWF_NOWAIT);
        if (r > 0 && r < length && t.knownSize == Long.MAX_VALUE && LibC.fstatx(file.fd(), Statx.STATX_SIZE, t.statx) >= 0) {
            t.knownSize = Statx.size(t.statx); // short: at the end of the file, or at a page not cached?
        }
        return r < 0 ? -1 : r;
    }

    /**
     * Whether the page cache holds every page of {@code [position, position + length)} that lies in the file,
     * and, when {@code toTheEnd}, whether the range reaches the end of the file. A range that reaches past
     * the end holds fewer pages than it spans; the size is then asked for ({@code statx}) to count the pages
     * the file has there.
     */
    private static boolean cached(PerThread t, FileHandle file, long position, long length, boolean toTheEnd) {
        if (toTheEnd && position + length < file.sizeSeen) {
            return false; // short of the size last seen: a file that grew since is longer still
        }
        int fd = file.fd();
        long pages = CacheStat.cachedPages(fd, position, length, t.cacheRange, t.cacheStat);
        if (pages < 0) {
            return false;
        }
        if (!toTheEnd && pages >= CacheStat.pagesSpanned(position, length)) {
            return true;
        }
        if (LibC.fstatx(fd, Statx.STATX_SIZE, t.statx) < 0) {
            return false;
        }
        long size = Statx.size(t.statx);
        t.knownSize = size;
        file.sizeSeen = size;
        if (position >= size) {
            return true; // at or past the end: the read answers 0 without touching a page
        }
        return position + length >= size && pages >= CacheStat.pagesSpanned(position, size - position);
    }

    /**
     * The read done here, or continued: a completed future when every byte was cached (or the end of the
     * file reached), on the owner one that {@link OwnerCompletions} completes after the caller's task (the
     * file's reference is released then), the future of the rest when the count was cut short at the first uncached page (its
     * count adds to what was read here; as with a blocking read, a failure after some bytes only makes the
     * count short), or null when nothing could be read without waiting. The caller's file reference is
     * given back, or passes to the rest's request.
     *
     * @param callerWaits the caller blocks for the result: no residency check first
     * @param onOwner the caller is the context's owner thread: a stream's read only when it reaches the end of
     *                the file, another read without the residency check
     */
    CompletableFuture<Integer> readOrContinue(Engine engine, FileHandle file, BufferKind kind, Object buffer, long address,
                                              long position, long length, boolean callerWaits, boolean onOwner) {
        RequestEvent event = RequestEvents.begin(Op.PREAD);
        PerThread t = PER_THREAD.get();
        long r = read(t, file, address, length, position, !callerWaits, onOwner);
        if (r < 0) {
            return null; // the usual path records the request
        }
        if (event != null) {
            RequestEvents.end(event, file, file.fd(), Op.PREAD, position, length, 0, r, RequestEvent.INLINE);
        }
        boolean done = r == length || r == 0 || position + r >= t.knownSize; // short at the end of the file: done
        if (onOwner) { // the owner's own counters: no atomic update
            engine.counters.add(Counters.INLINE_BYTES, r);
            if (done) {
                engine.counters.increment(Counters.INLINE_READS);
            }
        } else {
            bytes.add(r);
            if (done) {
                reads.increment();
            }
        }
        if (done) {
            kind.advance(buffer, r);
            if (onOwner && !callerWaits) { // delivered after the caller's task; the file is held until then
                CompletableFuture<Integer> future = new CompletableFuture<>();
                engine.ownerCompletions.add(future, Results.box((int) r), file);
                return future;
            }
            file.release(Op.PREAD);
            return CompletableFuture.completedFuture(Results.box((int) r));
        }
        Object rest;
        if (buffer instanceof ByteBuffer bb) {
            bb.position(bb.position() + (int) r);
            rest = bb;
        } else {
            rest = ((MemorySegment) buffer).asSlice(r);
        }
        CompletableFuture<Integer> restFuture = new CompletableFuture<>();
        engine.submit(file, Op.PREAD, kind, position + r, length - r, 0, rest, 0, 0, restFuture);
        return restFuture.handle((n, failure) -> (int) r + (failure == null ? n : 0));
    }

    /** Reads done inline so far on other threads than the owner. Any thread. */
    long reads() {
        return reads.sum();
    }

    /** Bytes read inline so far on other threads than the owner. Any thread. */
    long bytes() {
        return bytes.sum();
    }
}

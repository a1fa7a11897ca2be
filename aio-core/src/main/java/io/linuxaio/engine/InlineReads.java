package io.linuxaio.engine;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page-cache fast path: a buffered read tried first on the calling thread, whichever it is, as one
 * {@code preadv2(RWF_NOWAIT)}. When every byte is in the page cache the read is done there, in one
 * system call, with no hand-off to the owner and no {@code io_submit}: callers on every core copy in
 * parallel. EAGAIN (the first page is not cached) or a short count (a later page is not) sends the
 * request, or its rest, the usual way. Any thread.
 */
final class InlineReads {

    /**
     * How often a thread's inline reads look at the depth of its stack. A future done inline is complete
     * when the call returns, so a callback attached to it runs at once, on the caller's stack: the pattern
     * "in the callback, read the next block" recurses once per cached read and would end in a
     * StackOverflowError (which CompletableFuture swallows into a dependent nobody looks at). Every this
     * many inline reads a thread checks its stack; when it is deep, that read goes the usual way: it
     * completes later on the owner, on a fresh stack, which ends the recursion. A loop of reads (a virtual
     * thread's) stays shallow and pays one short stack walk per this many reads.
     */
    static final int STACK_CHECK_EVERY = 64;
    /** The stack depth, in frames, past which a read is not done inline (a thread's stack holds thousands). */
    static final int MAX_STACK_FRAMES = 384;

    private static final StackWalker STACK = StackWalker.getInstance();

    /** What a thread keeps for its inline reads: one iovec (nothing is allocated per read), and a count. */
    private static final class PerThread {
        final MemorySegment iovec = Arena.ofAuto().allocate(IoVec.SIZE, 8);
        int sinceStackCheck;
    }

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    private final boolean enabled;
    private final LongAdder reads = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    InlineReads(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * Whether a read may be tried inline: enabled, a buffered file (O_DIRECT reads bypass the cache), no
     * flags or priority of the caller's, and no write of the file in flight (an inline read must not pass a
     * write made before it: the ordering rule).
     */
    boolean applies(FileHandle file, int rwFlags, int ioprio) {
        return enabled && !file.isDirect() && rwFlags == 0 && ioprio == 0 && !file.hasWritesInFlight();
    }

    /**
     * Reads up to {@code length} bytes at {@code position} into native memory at {@code address}, without
     * waiting for the disk. Returns the count (0 at or past the end of the file), or -1 when nothing could
     * be read without waiting or the call failed (the usual path then does it, and reports its errors).
     * The caller holds a reference to the file.
     */
    long read(FileHandle file, long address, long length, long position) {
        PerThread t = PER_THREAD.get();
        if (++t.sinceStackCheck >= STACK_CHECK_EVERY) {
            t.sinceStackCheck = 0;
            if (STACK.walk(frames -> frames.skip(MAX_STACK_FRAMES).findAny().isPresent())) {
                return -1;
            }
        }
        MemorySegment iov = t.iovec;
        IoVec.set(iov, 0, address, length);
        long r = LibC.preadv2(file.fd(), iov, 1, position, AioAbi.RWF_NOWAIT);
        return r < 0 ? -1 : r;
    }

    /** Counts a request done inline, {@code n} bytes. */
    void done(long n) {
        reads.increment();
        bytes.add(n);
    }

    /** Counts the {@code n} bytes read inline of a request whose rest goes the usual way (which counts it). */
    void partly(long n) {
        bytes.add(n);
    }

    /** Reads done inline so far. Any thread. */
    long reads() {
        return reads.sum();
    }

    /** Bytes read inline so far. Any thread. */
    long bytes() {
        return bytes.sum();
    }
}

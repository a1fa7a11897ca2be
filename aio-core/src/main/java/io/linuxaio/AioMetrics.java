package io.linuxaio;

/**
 * A snapshot of an {@link AioContext}'s counters since it was opened. The counters are written by the
 * owner thread only; a snapshot taken on another thread may be a few requests behind.
 *
 * @param submitted requests handed to the kernel by {@code io_submit} or to the fallback pool
 * @param completed requests whose future completed normally
 * @param failed requests whose future completed exceptionally (I/O errors, refusals, close)
 * @param bytesRead bytes read by completed reads
 * @param bytesWritten bytes written by completed writes
 * @param inFlight requests that hold a slot now: batched, in the kernel or in the fallback pool
 * @param queued requests waiting for a free slot now (the ring was full)
 * @param ringFullWaits times a request had to wait: no free slot, or {@code io_submit} answered EAGAIN
 * @param fallbacks reads and writes that ran on the blocking fallback pool (page-cache misses, writes
 *                  that would block, filesystems without {@code RWF_NOWAIT})
 * @param ioSubmitCalls {@code io_submit} system calls
 * @param ioGeteventsCalls {@code io_getevents} system calls (0 while completions are reaped in user space)
 * @param userReapedEvents completions read from the mmapped ring without a system call
 * @param staleCompletions completions whose slot generation did not match (never delivered)
 * @param inlineReads buffered reads done on the caller's thread from the page cache, without the kernel's AIO
 *                    (counted in {@code completed} and {@code bytesRead} too; see {@code Builder.inlineCachedReads})
 */
public record AioMetrics(long submitted, long completed, long failed, long bytesRead, long bytesWritten,
                         long inFlight, long queued, long ringFullWaits, long fallbacks, long ioSubmitCalls,
                         long ioGeteventsCalls, long userReapedEvents, long staleCompletions, long inlineReads) {

    /** Every counter at zero: the metrics of no context. */
    public static final AioMetrics ZERO = new AioMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * {@return the sums of each counter of {@code this} and {@code other}}: the metrics of two contexts
     * together (a group's, say).
     *
     * @param other the other snapshot
     */
    public AioMetrics plus(AioMetrics other) {
        return new AioMetrics(submitted + other.submitted, completed + other.completed, failed + other.failed,
                bytesRead + other.bytesRead, bytesWritten + other.bytesWritten, inFlight + other.inFlight,
                queued + other.queued, ringFullWaits + other.ringFullWaits, fallbacks + other.fallbacks,
                ioSubmitCalls + other.ioSubmitCalls, ioGeteventsCalls + other.ioGeteventsCalls,
                userReapedEvents + other.userReapedEvents, staleCompletions + other.staleCompletions,
                inlineReads + other.inlineReads);
    }
}

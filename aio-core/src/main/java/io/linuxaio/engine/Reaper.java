package io.linuxaio.engine;

import io.linuxaio.abi.AioRing;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.IoEvent;
import io.linuxaio.abi.LinuxAio;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;

/**
 * Takes posted completions from the kernel into ({@code aio_data}, {@code res}) pairs: from the mmapped
 * ring without a system call when the ring allows it, else with {@code io_getevents}. No policy: the
 * engine decides what each pair means. Owner thread only (the ring has one consumer, and is never read
 * while an {@code io_getevents} runs on the same context).
 */
final class Reaper {

    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    private final KernelContext kernel;
    private final Counters counters;
    private final int depth;
    /** The pairs of the last reap: {@code data[i]}, {@code res[i]} for i below its count. */
    final long[] data;
    final long[] res;

    Reaper(KernelContext kernel, Counters counters, int depth) {
        this.kernel = kernel;
        this.counters = counters;
        this.depth = depth;
        int capacity = Math.max(depth, kernel.ringSize);
        this.data = new long[capacity];
        this.res = new long[capacity];
    }

    /** Copies what the kernel has posted (without waiting) and returns the number of pairs. */
    int reap() {
        return kernel.ring != null ? reapRing() : getEvents(0, kernel.zeroTimeout);
    }

    /**
     * Waits up to the abandon timeout for at least one completion and returns the number of pairs, or
     * {@code -errno} ({@code -EINTR} included). Teardown only: it uses io_getevents, ring or not.
     */
    int awaitSome() {
        long r = LinuxAio.io_getevents(kernel.aioContext, 1, depth, kernel.eventBuffer, kernel.abandonWaitTimeout);
        counters.increment(Counters.GETEVENTS_CALLS);
        if (r <= 0) {
            return (int) r;
        }
        copyEvents((int) r);
        return (int) r;
    }

    private int reapRing() {
        MemorySegment ring = kernel.ring;
        int head = AioRing.head(ring);
        // Acquire: the kernel writes the io_event, then publishes tail; after this read every event
        // before tail is visible.
        int tail = AioRing.tailAcquire(ring);
        if (head == tail) {
            return 0;
        }
        int n = 0;
        while (head != tail) {
            data[n] = IoEvent.data(kernel.ringEvents, head);
            res[n] = IoEvent.res(kernel.ringEvents, head);
            n++;
            if (++head == kernel.ringSize) {
                head = 0;
            }
        }
        // Release: our reads of the events happen before the kernel may see their slots as free.
        AioRing.headRelease(ring, head);
        counters.add(Counters.USER_REAPED, n);
        return n;
    }

    private int getEvents(int minNr, MemorySegment timeout) {
        long r = LinuxAio.io_getevents(kernel.aioContext, minNr, depth, kernel.eventBuffer, timeout);
        counters.increment(Counters.GETEVENTS_CALLS);
        if (r <= 0) {
            if (r < 0 && r != -Errno.EINTR) {
                LOG.error("io_getevents failed on context 0x{}: {}", Long.toHexString(kernel.aioContext),
                        new ErrnoException("io_getevents", (int) -r).getMessage());
            }
            return 0;
        }
        copyEvents((int) r);
        return (int) r;
    }

    private void copyEvents(int n) {
        for (int i = 0; i < n; i++) {
            data[i] = IoEvent.data(kernel.eventBuffer, i);
            res[i] = IoEvent.res(kernel.eventBuffer, i);
        }
    }
}

package io.linuxaio.engine;

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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kernel's side of one context: the {@code aio_context_t} ({@code io_setup}/{@code io_destroy}), the
 * eventfd every iocb names, the arena of iocbs, iovecs and event buffers, and the mapping of the kernel's
 * completion ring. Created on any thread; used by the owner thread, except {@link #wakeUp}, which any
 * thread may call.
 *
 * <p>The waker protocol: a thread that writes a wake-up to the eventfd counts itself in {@code wakers}
 * and checks {@code eventFdClosed} first; {@link #release} sets the flag, then waits until no waker is
 * left before it closes the descriptor. So no wake-up is ever written to a closed (or reused) number.
 */
final class KernelContext {

    /** How long one wait for the kernel's last requests lasts while a context is abandoned. */
    static final long ABANDON_WAIT_NANOS = 1_000_000_000L;

    final long aioContext;
    final int eventFd;
    /** Blocking for the completion thread, which sleeps in read(2); non-blocking for drivers that poll it. */
    final boolean blockingEventFd;
    final MemorySegment iocbs;
    /** The iocb pointer array io_submit takes. */
    final MemorySegment iocbPointers;
    final MemorySegment iovecs;
    final MemorySegment eventBuffer;
    final MemorySegment zeroTimeout;
    final MemorySegment abandonWaitTimeout;
    final MemorySegment cancelResult;
    private final MemorySegment eventFdCounter;
    /** The kernel's mmapped ring, or null when completions are reaped with io_getevents. */
    final MemorySegment ring;
    final MemorySegment ringEvents;
    final int ringSize;
    private final Arena arena;
    private final long arenaBytes;

    private volatile boolean eventFdClosed;
    private final AtomicInteger wakers = new AtomicInteger();

    private KernelContext(Arena arena, long aioContext, int eventFd, boolean blockingEventFd, int depth, boolean userSpaceReaping) {
        this.arena = arena;
        this.aioContext = aioContext;
        this.eventFd = eventFd;
        this.blockingEventFd = blockingEventFd;
        this.iocbs = arena.allocate(Iocb.SIZE * depth, 64);
        this.iocbPointers = arena.allocate(ValueLayout.ADDRESS, depth);
        this.iovecs = arena.allocate(IoVec.SIZE * BufferKind.IOV_PER_SLOT * depth, 16);
        this.eventBuffer = arena.allocate(IoEvent.SIZE * depth, 8);
        this.zeroTimeout = arena.allocate(Timespec.LAYOUT);
        this.abandonWaitTimeout = arena.allocate(Timespec.LAYOUT);
        Timespec.setNanos(abandonWaitTimeout, ABANDON_WAIT_NANOS);
        this.eventFdCounter = arena.allocate(ValueLayout.JAVA_LONG);
        this.cancelResult = arena.allocate(IoEvent.LAYOUT);
        this.arenaBytes = Iocb.SIZE * depth + 8L * depth + IoVec.SIZE * BufferKind.IOV_PER_SLOT * depth
                + IoEvent.SIZE * depth + 3 * Timespec.SIZE + 8 + IoEvent.SIZE;
        MemorySegment r = AioRing.of(aioContext);
        if (userSpaceReaping && AioRing.isUserReapable(r)) {
            this.ring = r;
            this.ringEvents = AioRing.events(r);
            this.ringSize = AioRing.nr(r);
        } else {
            this.ring = null;
            this.ringEvents = null;
            this.ringSize = 0;
        }
    }

    /** Sets up a kernel context of {@code depth} events and its eventfd; frees what it made if that fails. */
    static KernelContext create(int depth, boolean blockingEventFd, boolean userSpaceReaping) throws IOException {
        int efd = -1;
        long context = 0;
        Arena arena = Arena.ofShared();
        try {
            efd = EventFd.create(0, EventFd.EFD_CLOEXEC | (blockingEventFd ? 0 : EventFd.EFD_NONBLOCK));
            context = setUp(depth);
            KernelContext kc = new KernelContext(arena, context, efd, blockingEventFd, depth, userSpaceReaping);
            NativeMemory.accountArena(kc.arenaBytes);
            return kc;
        } catch (Throwable t) {
            if (context != 0) {
                LinuxAio.io_destroy(context);
            }
            if (efd >= 0) {
                LibC.close(efd);
            }
            arena.close();
            throw t;
        }
    }

    private static long setUp(int depth) throws IOException {
        try {
            return LinuxAio.ioSetup(depth);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EAGAIN) {
                throw new IOException("cannot set up an AIO context of " + depth + " events: /proc/sys/fs/aio-max-nr is "
                        + AioLimits.aioMaxNr() + " and /proc/sys/fs/aio-nr (events held by all contexts) is "
                        + AioLimits.aioNr() + "; close unused contexts, lower the queue depth, or raise the sysctl "
                        + "fs.aio-max-nr", e);
            }
            throw e;
        }
    }

    /** The slot's iocb. */
    MemorySegment iocb(int slot) {
        return iocbs.asSlice(slot * Iocb.SIZE, Iocb.SIZE);
    }

    /** The slot's preallocated iovecs. */
    MemorySegment slotIovecs(int slot) {
        return iovecs.asSlice(slot * IoVec.SIZE * BufferKind.IOV_PER_SLOT, IoVec.SIZE * BufferKind.IOV_PER_SLOT);
    }

    /** {@code io_cancel} of the slot's iocb: only polls are really cancelled; the result comes through the ring. */
    void cancel(int slot) {
        LinuxAio.io_cancel(aioContext, iocb(slot), cancelResult);
    }

    /** Resets a non-blocking eventfd's counter; EAGAIN (already zero) is fine. Owner thread. */
    void resetEventFd() {
        if (!blockingEventFd) {
            EventFd.eventfd_read(eventFd, eventFdCounter);
        }
    }

    /** Blocks the completion thread until the eventfd is signalled. */
    void awaitEventFd() {
        long r;
        do {
            r = EventFd.eventfd_read(eventFd, eventFdCounter);
        } while (r == -Errno.EINTR);
    }

    /** The 8-byte value 1 that a wake-up adds to the eventfd, one per waking thread. */
    private static final ThreadLocal<MemorySegment> ONE = ThreadLocal.withInitial(() -> {
        MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        return one;
    });

    /**
     * Signals the eventfd: wakes a completion thread blocked on it, or makes a driver's watch run the owner's
     * turn. Any thread; never writes to a closed eventfd.
     */
    void wakeUp() {
        MemorySegment one = ONE.get();
        wakers.incrementAndGet();
        try {
            if (!eventFdClosed) {
                EventFd.eventfd_write(eventFd, one);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    /**
     * {@code io_destroy}: waits for any I/O the kernel still holds and cancels pending polls; after it
     * the kernel writes no buffer of ours again.
     */
    void destroy() {
        LinuxAio.io_destroy(aioContext);
    }

    /** Closes the eventfd once no thread may still write a wake-up to it, then frees the arena. Once, after {@link #destroy}. */
    void release() {
        eventFdClosed = true;
        while (wakers.get() != 0) {
            Thread.onSpinWait(); // a waker is between its check and its write: a few instructions
        }
        LibC.close(eventFd);
        arena.close();
        NativeMemory.accountArena(-arenaBytes);
    }
}

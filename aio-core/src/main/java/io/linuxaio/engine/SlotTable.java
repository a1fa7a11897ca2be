package io.linuxaio.engine;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The request slots of one context, as parallel arrays indexed by slot number (no object per request),
 * with the free stack and the slots' generations. Owner thread only; {@link #describe} may read it
 * from elsewhere for diagnostics.
 *
 * <p>A slot's {@code aio_data} carries the slot number in its low 32 bits and the slot's generation in
 * its high 32 bits: the generation moves on every time the slot is freed, so a completion that names an
 * older generation (a stale or forged event) is recognised and never delivered to the slot's new request.
 */
final class SlotTable {

    final int depth;
    final CompletableFuture<?>[] futures;
    /** The user's buffer (ByteBuffer, ByteBuffer[] or MemorySegment): kept reachable while the kernel uses it. */
    final Object[] attachments;
    final FileHandle[] files;
    final Op[] ops;
    final BufferKind[] bufferKinds;
    final SlotState[] states;
    /** Whether the engine added RWF_NOWAIT (so EAGAIN/EOPNOTSUPP means "run it on the pool"). */
    final boolean[] nowaitAdded;
    final int[] generations;
    final int[] fds;
    final int[] userFlags;
    /** A ByteBuffer's position when the request started: its position becomes start + count at completion. */
    final int[] bufferStarts;
    final long[] positions;
    final long[] lengths;
    /** The file's in-flight list in start order ({@link WriteOrder}): the previous and next slot, or -1. */
    final int[] orderPrev;
    final int[] orderNext;
    /** Native memory of the request's own (bounce buffer, long iovec array), or 0; freed with the slot. */
    final long[] ownMemory;
    /** The request's JFR event ({@link RequestEvents}), or null while JFR does not record it. */
    final RequestEvent[] events;

    private final int[] freeStack;
    private int freeTop;
    /** Slots in {@link SlotState#IN_KERNEL}. */
    int inKernel;

    private final Counters counters;

    SlotTable(int depth, Counters counters) {
        this.depth = depth;
        this.counters = counters;
        futures = new CompletableFuture<?>[depth];
        attachments = new Object[depth];
        files = new FileHandle[depth];
        ops = new Op[depth];
        bufferKinds = new BufferKind[depth];
        states = new SlotState[depth];
        Arrays.fill(states, SlotState.FREE);
        nowaitAdded = new boolean[depth];
        generations = new int[depth];
        fds = new int[depth];
        userFlags = new int[depth];
        bufferStarts = new int[depth];
        positions = new long[depth];
        lengths = new long[depth];
        ownMemory = new long[depth];
        events = new RequestEvent[depth];
        orderPrev = new int[depth];
        orderNext = new int[depth];
        Arrays.fill(orderPrev, -1);
        Arrays.fill(orderNext, -1);
        freeStack = new int[depth];
        for (int i = 0; i < depth; i++) {
            freeStack[i] = depth - 1 - i; // slot 0 on top
        }
        freeTop = depth;
    }

    boolean hasFree() {
        return freeTop > 0;
    }

    boolean allFree() {
        return freeTop == depth;
    }

    /** Slots that hold a request: batched, in the kernel or on the pool. */
    int inUse() {
        return depth - freeTop;
    }

    /** Takes a free slot for a new request (the caller checked {@link #hasFree}). */
    int take(CompletableFuture<?> future, Object attachment, FileHandle file, Op op, BufferKind kind, int fd,
             int rwFlags, long position, long length) {
        int slot = freeStack[--freeTop];
        futures[slot] = future;
        attachments[slot] = attachment;
        files[slot] = file;
        ops[slot] = op;
        bufferKinds[slot] = kind;
        fds[slot] = fd;
        userFlags[slot] = rwFlags;
        positions[slot] = position;
        lengths[slot] = length;
        ownMemory[slot] = 0;
        counters.set(Counters.IN_FLIGHT, depth - freeTop);
        return slot;
    }

    /** Frees the slot: drops its references and moves its generation on. Its own memory is freed by the caller. */
    void free(int slot) {
        futures[slot] = null;
        attachments[slot] = null;
        files[slot] = null;
        events[slot] = null;
        ownMemory[slot] = 0;
        states[slot] = SlotState.FREE;
        generations[slot]++;
        freeStack[freeTop++] = slot;
        counters.set(Counters.IN_FLIGHT, depth - freeTop);
    }

    /** The {@code aio_data} of the slot's current request. */
    long aioData(int slot) {
        return ((long) generations[slot] << 32) | slot;
    }

    /** The slot an {@code aio_data} names, if it is that slot's current request and the kernel holds it; else -1. */
    int inKernelSlotOf(long aioData) {
        int slot = (int) aioData;
        int generation = (int) (aioData >>> 32);
        if (slot < 0 || slot >= depth || generations[slot] != generation || states[slot] != SlotState.IN_KERNEL) {
            return -1;
        }
        return slot;
    }

    /** Whether {@code generation} is still the slot's current request. */
    boolean isCurrent(int slot, int generation) {
        return slot >= 0 && generations[slot] == generation;
    }

    /** What the slots hold, counted by state, with the first requests listed. Any thread: a snapshot that may lag. */
    String describe(int waiting) {
        int ordered = 0;
        int batched = 0;
        int kernel = 0;
        int pool = 0;
        StringBuilder list = new StringBuilder();
        for (int slot = 0; slot < depth; slot++) {
            SlotState st = states[slot];
            switch (st) {
                case ORDERED -> ordered++;
                case BATCHED -> batched++;
                case IN_KERNEL -> kernel++;
                case IN_FALLBACK -> pool++;
                case FREE -> {
                }
            }
            Op op = ops[slot];
            if (st != SlotState.FREE && op != null && list.length() < 200) {
                list.append(op.callName()).append('@').append(positions[slot]).append(' ');
            }
        }
        return "waiting for an overlapping request " + ordered + ", batched " + batched + ", in the kernel " + kernel + " (counted " + inKernel + "), on the blocking pool "
                + pool + ", waiting for a slot " + waiting + ", free slots " + freeTop + "/" + depth
                + (list.length() > 0 ? ", requests: " + list.toString().trim() : "");
    }
}

package io.linuxaio.engine;

/**
 * The ordering rule: requests on one file whose byte ranges overlap, at least one of them a write, take
 * effect in the order they started, whatever path each takes (the kernel, or the blocking pool where
 * threads race); requests that do not overlap stay parallel. Owner thread only.
 *
 * <p>Each file keeps its reads and writes in flight in a list in start order (linked through the slot
 * table, no allocation). A request that overlaps an earlier one in the list, one of the two a write, waits
 * in {@link SlotState#ORDERED} without reaching the kernel; when a request ends, the waiting ones whose
 * earlier conflicts are all gone start, in list order. Reads on a file with no write in flight cost one
 * counter check.
 */
final class WriteOrder {

    private final Engine engine;
    private final SlotTable slots;
    /** Set when the context is abandoned: nothing starts any more, waiting requests are failed instead. */
    private boolean stopped;

    WriteOrder(Engine engine, SlotTable slots) {
        this.engine = engine;
        this.slots = slots;
    }

    /** Whether the slot's request takes part: a read or write of a file. */
    private boolean tracked(int slot) {
        return slots.files[slot] != null && slots.ops[slot].isTransfer();
    }

    /**
     * Records a started request; returns whether it may go to the kernel now (false: it waits in
     * {@link SlotState#ORDERED} until {@link #ended} releases it).
     */
    boolean admit(int slot) {
        if (!tracked(slot)) {
            return true;
        }
        FileHandle file = slots.files[slot];
        boolean write = slots.ops[slot].isWrite();
        boolean mayConflict = write || file.orderWrites > 0;
        slots.orderPrev[slot] = file.orderLast;
        slots.orderNext[slot] = -1;
        if (file.orderLast >= 0) {
            slots.orderNext[file.orderLast] = slot;
        } else {
            file.orderFirst = slot;
        }
        file.orderLast = slot;
        if (write) {
            file.orderWrites++;
        }
        if (mayConflict && conflictsWithEarlier(slot)) {
            slots.states[slot] = SlotState.ORDERED;
            file.orderWaiting++;
            return false;
        }
        return true;
    }

    /** Forgets an ended request, and starts the waiting requests it held back. Before the slot is freed. */
    void ended(int slot) {
        if (!tracked(slot)) {
            return;
        }
        FileHandle file = slots.files[slot];
        if (slots.states[slot] == SlotState.ORDERED) {
            file.orderWaiting--;
        }
        unlink(file, slot);
        if (file.orderWaiting > 0 && !stopped) {
            releaseWaiting(file);
        }
    }

    /** Stops starting waiting requests: the context is being abandoned. */
    void stop() {
        stopped = true;
    }

    private void releaseWaiting(FileHandle file) {
        int s = file.orderFirst;
        while (s >= 0 && file.orderWaiting > 0) {
            int next = slots.orderNext[s]; // read first: a launch the pool refuses ends (and unlinks) s at once
            if (slots.states[s] == SlotState.ORDERED && !conflictsWithEarlier(s)) {
                file.orderWaiting--;
                engine.launch(s); // in list order: a later waiter still sees this one in flight
            }
            s = next;
        }
    }

    private boolean conflictsWithEarlier(int slot) {
        long start = slots.positions[slot];
        long end = start + slots.lengths[slot];
        boolean write = slots.ops[slot].isWrite();
        for (int s = slots.orderPrev[slot]; s >= 0; s = slots.orderPrev[s]) {
            if ((write || slots.ops[s].isWrite()) && slots.positions[s] < end && start < slots.positions[s] + slots.lengths[s]) {
                return true;
            }
        }
        return false;
    }

    private void unlink(FileHandle file, int slot) {
        int prev = slots.orderPrev[slot];
        int next = slots.orderNext[slot];
        if (prev >= 0) {
            slots.orderNext[prev] = next;
        } else {
            file.orderFirst = next;
        }
        if (next >= 0) {
            slots.orderPrev[next] = prev;
        } else {
            file.orderLast = prev;
        }
        slots.orderPrev[slot] = -1;
        slots.orderNext[slot] = -1;
        if (slots.ops[slot].isWrite()) {
            file.orderWrites--;
        }
    }
}

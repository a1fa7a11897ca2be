package io.linuxaio.engine;

/** Where a request slot's request is. Owner thread (read by diagnostics elsewhere). */
enum SlotState {
    /** No request: on the free stack. */
    FREE,
    /** Its iocb is filled; it waits for an earlier overlapping request of its file to end ({@link WriteOrder}). */
    ORDERED,
    /** Its iocb is filled and waits in the submitter's batch for {@code io_submit}. */
    BATCHED,
    /** {@code io_submit} accepted it: the kernel owns its iocb and buffer until its event is reaped. */
    IN_KERNEL,
    /** A blocking-pool thread runs it (the kernel would have blocked); it comes back to the owner. */
    IN_FALLBACK
}

package io.linuxaio.engine;

/**
 * Where requests meet JFR: an event begun when a request is made, if its type is enabled, and ended and
 * committed when the request's answer is known. Any thread: {@link #begin} runs on the requesting thread,
 * {@link #end} on the completing one. While JFR records nothing, a request pays one {@code isEnabled()}
 * check and allocates nothing.
 */
final class RequestEvents {

    private RequestEvents() {
    }

    /** A begun event for a request of {@code op}, or null when its event type is not enabled. */
    static RequestEvent begin(Op op) {
        RequestEvent event = switch (op) {
            case PREAD, PREADV -> ReadEvent.PROBE.isEnabled() ? new ReadEvent() : null;
            case PWRITE, PWRITEV -> WriteEvent.PROBE.isEnabled() ? new WriteEvent() : null;
            case FSYNC, FDSYNC -> SyncEvent.PROBE.isEnabled() ? new SyncEvent() : null;
            case POLL -> PollEvent.PROBE.isEnabled() ? new PollEvent() : null;
        };
        if (event != null) {
            event.begin();
        }
        return event;
    }

    /**
     * Ends {@code event} (null: nothing to record) with the request's answer {@code res}, a count or
     * {@code -errno}, and commits it if it lasted past its threshold.
     */
    static void end(RequestEvent event, FileHandle file, int fd, Op op, long position, long length, long arg, long res, String way) {
        event.end();
        if (!event.shouldCommit()) {
            return;
        }
        event.path = file != null ? file.path().toString() : null;
        event.way = way;
        event.errno = res < 0 ? (int) -res : 0;
        long count = Math.max(res, 0);
        switch (event) {
            case TransferEvent e -> {
                e.position = position;
                e.bytesRequested = length;
                e.bytesTransferred = count;
            }
            case SyncEvent e -> e.dataOnly = op == Op.FDSYNC;
            case PollEvent e -> {
                e.fd = fd;
                e.events = (int) arg;
                e.revents = (int) count;
            }
            default -> throw new AssertionError(event);
        }
        event.commit();
    }
}

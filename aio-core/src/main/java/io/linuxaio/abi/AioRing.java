package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The header of the completion ring the kernel maps at the address an {@code aio_context_t} holds
 * ({@code struct aio_ring} of {@code fs/aio.c}), followed by {@code nr} {@link IoEvent}s:
 *
 * <pre>{@code
 * struct aio_ring {
 *     unsigned id;                // kernel internal index number
 *     unsigned nr;                // number of io_events
 *     unsigned head;              // written by user space (consumer)
 *     unsigned tail;              // written by the kernel (producer)
 *     unsigned magic;             // AIO_RING_MAGIC = 0xa10a10a1
 *     unsigned compat_features;
 *     unsigned incompat_features; // must be 0 for user-space reaping
 *     unsigned header_length;     // sizeof(struct aio_ring)
 *     struct io_event io_events[];
 * };
 * }</pre>
 *
 * <p>Reading it is valid only while {@code magic == AIO_RING_MAGIC} and {@code incompat_features == 0},
 * with a single consumer that never races an {@code io_getevents} on the same context: read
 * {@code tail} with acquire semantics (the kernel writes the event, then publishes tail), read the
 * events, then publish {@code head} with release semantics (so the kernel never reuses a slot we are
 * still reading).
 */
public final class AioRing {

    private AioRing() {
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("id"),
            ValueLayout.JAVA_INT.withName("nr"),
            ValueLayout.JAVA_INT.withName("head"),
            ValueLayout.JAVA_INT.withName("tail"),
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_INT.withName("compat_features"),
            ValueLayout.JAVA_INT.withName("incompat_features"),
            ValueLayout.JAVA_INT.withName("header_length")).withName("aio_ring");

    /** {@code sizeof(struct aio_ring)} = 32, where the events begin. */
    public static final long HEADER_SIZE = LAYOUT.byteSize();
    public static final long ID = LAYOUT.byteOffset(groupElement("id"));
    public static final long NR = LAYOUT.byteOffset(groupElement("nr"));
    public static final long HEAD = LAYOUT.byteOffset(groupElement("head"));
    public static final long TAIL = LAYOUT.byteOffset(groupElement("tail"));
    public static final long MAGIC = LAYOUT.byteOffset(groupElement("magic"));
    public static final long COMPAT_FEATURES = LAYOUT.byteOffset(groupElement("compat_features"));
    public static final long INCOMPAT_FEATURES = LAYOUT.byteOffset(groupElement("incompat_features"));
    public static final long HEADER_LENGTH = LAYOUT.byteOffset(groupElement("header_length"));

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /**
     * The ring of context {@code ctx}, sized from its {@code nr} field (the kernel maps more events
     * than {@code io_setup} asked for).
     */
    public static MemorySegment of(long ctx) {
        if (ctx == 0) {
            throw new IllegalArgumentException("aio_context_t is 0 (not set up)");
        }
        MemorySegment header = MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE);
        int nr = header.get(ValueLayout.JAVA_INT, NR);
        return MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE + (nr & 0xffffffffL) * IoEvent.SIZE);
    }

    public static int nr(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, NR); }
    public static int magic(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, MAGIC); }
    public static int incompatFeatures(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, INCOMPAT_FEATURES); }
    public static int headerLength(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, HEADER_LENGTH); }

    /** {@code head}, read plainly: only the consumer writes it. */
    public static int head(MemorySegment ring) {
        return ring.get(ValueLayout.JAVA_INT, HEAD);
    }

    /** {@code tail}, read with acquire semantics: every event before it is visible after this read. */
    public static int tailAcquire(MemorySegment ring) {
        return (int) INT.getAcquire(ring, TAIL);
    }

    /** Publishes {@code head} with release semantics: events before it are consumed and may be reused. */
    public static void headRelease(MemorySegment ring, int head) {
        INT.setRelease(ring, HEAD, head);
    }

    /** Whether user space may reap this ring: the magic matches and no incompatible feature is set. */
    public static boolean isUserReapable(MemorySegment ring) {
        return magic(ring) == AioAbi.AIO_RING_MAGIC && incompatFeatures(ring) == 0;
    }

    /** The events of the ring, from {@link #HEADER_SIZE} on, indexed with {@link IoEvent}'s accessors. */
    public static MemorySegment events(MemorySegment ring) {
        return ring.asSlice(HEADER_SIZE);
    }
}

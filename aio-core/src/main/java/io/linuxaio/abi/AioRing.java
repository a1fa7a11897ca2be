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

    /** The layout of {@code struct aio_ring}, with named fields. */
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
    /** The offset of {@code id}: the kernel's internal index number. */
    public static final long ID = LAYOUT.byteOffset(groupElement("id"));
    /** The offset of {@code nr}: the number of {@code io_event}s in the ring. */
    public static final long NR = LAYOUT.byteOffset(groupElement("nr"));
    /** The offset of {@code head}: the consumer's index, written by user space. */
    public static final long HEAD = LAYOUT.byteOffset(groupElement("head"));
    /** The offset of {@code tail}: the producer's index, written by the kernel. */
    public static final long TAIL = LAYOUT.byteOffset(groupElement("tail"));
    /** The offset of {@code magic}: {@code AIO_RING_MAGIC} (0xa10a10a1) while the layout is the one described here. */
    public static final long MAGIC = LAYOUT.byteOffset(groupElement("magic"));
    /** The offset of {@code compat_features}: compatible features. */
    public static final long COMPAT_FEATURES = LAYOUT.byteOffset(groupElement("compat_features"));
    /** The offset of {@code incompat_features}: incompatible features, 0 for user-space reaping. */
    public static final long INCOMPAT_FEATURES = LAYOUT.byteOffset(groupElement("incompat_features"));
    /** The offset of {@code header_length}: {@code sizeof(struct aio_ring)}. */
    public static final long HEADER_LENGTH = LAYOUT.byteOffset(groupElement("header_length"));

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /**
     * The ring of context {@code ctx}, sized from its {@code nr} field (the kernel maps more events
     * than {@code io_setup} asked for).
     *
     * @param ctx the {@code aio_context_t} that {@code io_setup} returned
     * @return the header and the events, as one segment
     * @throws IllegalArgumentException if {@code ctx} is 0
     */
    public static MemorySegment of(long ctx) {
        if (ctx == 0) {
            throw new IllegalArgumentException("aio_context_t is 0 (not set up)");
        }
        MemorySegment header = MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE);
        int nr = header.get(ValueLayout.JAVA_INT, NR);
        return MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE + (nr & 0xffffffffL) * IoEvent.SIZE);
    }

    /**
     * {@return {@code nr}: the number of {@code io_event}s in the ring}
     *
     * @param ring the ring, from {@link #of}
     */
    public static int nr(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, NR); }
    /**
     * {@return {@code magic}: {@code AIO_RING_MAGIC} (0xa10a10a1) while the layout is the one described here}
     *
     * @param ring the ring, from {@link #of}
     */
    public static int magic(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, MAGIC); }
    /**
     * {@return {@code incompat_features}: incompatible features, 0 for user-space reaping}
     *
     * @param ring the ring, from {@link #of}
     */
    public static int incompatFeatures(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, INCOMPAT_FEATURES); }
    /**
     * {@return {@code header_length}: {@code sizeof(struct aio_ring)}}
     *
     * @param ring the ring, from {@link #of}
     */
    public static int headerLength(MemorySegment ring) { return ring.get(ValueLayout.JAVA_INT, HEADER_LENGTH); }

    /**
     * {@return {@code head}, read plainly: only the consumer writes it}
     *
     * @param ring the ring
     */
    public static int head(MemorySegment ring) {
        return ring.get(ValueLayout.JAVA_INT, HEAD);
    }

    /**
     * {@return {@code tail}, read with acquire semantics: every event before it is visible after this read}
     *
     * @param ring the ring
     */
    public static int tailAcquire(MemorySegment ring) {
        return (int) INT.getAcquire(ring, TAIL);
    }

    /**
     * Publishes {@code head} with release semantics: events before it are consumed and may be reused.
     *
     * @param ring the ring
     * @param head the new head, the index after the last event consumed
     */
    public static void headRelease(MemorySegment ring, int head) {
        INT.setRelease(ring, HEAD, head);
    }

    /**
     * {@return whether user space may reap this ring: the magic matches and no incompatible feature is set}
     *
     * @param ring the ring
     */
    public static boolean isUserReapable(MemorySegment ring) {
        return magic(ring) == AioAbi.AIO_RING_MAGIC && incompatFeatures(ring) == 0;
    }

    /**
     * {@return the events of the ring, from {@link #HEADER_SIZE} on, indexed with {@link IoEvent}'s accessors}
     *
     * @param ring the ring
     */
    public static MemorySegment events(MemorySegment ring) {
        return ring.asSlice(HEADER_SIZE);
    }
}

package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct io_event}, 32 bytes:
 *
 * <pre>{@code
 * struct io_event {
 *     __u64 data;   // the iocb's aio_data
 *     __u64 obj;    // the user address of the iocb
 *     __s64 res;    // bytes transferred, poll events, or -errno
 *     __s64 res2;   // secondary result
 * };
 * }</pre>
 */
public final class IoEvent {

    private IoEvent() {
    }

    /** The layout of {@code struct io_event}, with named fields. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("data"),
            ValueLayout.JAVA_LONG.withName("obj"),
            ValueLayout.JAVA_LONG.withName("res"),
            ValueLayout.JAVA_LONG.withName("res2")).withName("io_event");

    /** {@code sizeof(struct io_event)} = 32. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code data}: the iocb's {@code aio_data}. */
    public static final long DATA = LAYOUT.byteOffset(groupElement("data"));
    /** The offset of {@code obj}: the user address of the iocb. */
    public static final long OBJ = LAYOUT.byteOffset(groupElement("obj"));
    /** The offset of {@code res}: the bytes transferred, the poll events, or {@code -errno}. */
    public static final long RES = LAYOUT.byteOffset(groupElement("res"));
    /** The offset of {@code res2}: a secondary result (0). */
    public static final long RES2 = LAYOUT.byteOffset(groupElement("res2"));

    /**
     * {@return {@code data}: the iocb's {@code aio_data}}
     *
     * @param events an array of {@code struct io_event}
     * @param index the index of the element in the array
     */
    public static long data(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + DATA); }
    /**
     * {@return {@code obj}: the user address of the iocb}
     *
     * @param events an array of {@code struct io_event}
     * @param index the index of the element in the array
     */
    public static long obj(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + OBJ); }
    /**
     * {@return {@code res}: the bytes transferred, the poll events, or {@code -errno}}
     *
     * @param events an array of {@code struct io_event}
     * @param index the index of the element in the array
     */
    public static long res(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + RES); }
    /**
     * {@return {@code res2}: a secondary result (0)}
     *
     * @param events an array of {@code struct io_event}
     * @param index the index of the element in the array
     */
    public static long res2(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + RES2); }
}

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

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("data"),
            ValueLayout.JAVA_LONG.withName("obj"),
            ValueLayout.JAVA_LONG.withName("res"),
            ValueLayout.JAVA_LONG.withName("res2")).withName("io_event");

    /** {@code sizeof(struct io_event)} = 32. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long DATA = LAYOUT.byteOffset(groupElement("data"));
    public static final long OBJ = LAYOUT.byteOffset(groupElement("obj"));
    public static final long RES = LAYOUT.byteOffset(groupElement("res"));
    public static final long RES2 = LAYOUT.byteOffset(groupElement("res2"));

    public static long data(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + DATA); }
    public static long obj(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + OBJ); }
    public static long res(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + RES); }
    public static long res2(MemorySegment events, long index) { return events.get(ValueLayout.JAVA_LONG, index * SIZE + RES2); }
}

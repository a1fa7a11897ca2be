package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct iovec}, 16 bytes on 64-bit Linux:
 *
 * <pre>{@code
 * struct iovec {
 *     void  *iov_base;
 *     size_t iov_len;
 * };
 * }</pre>
 */
public final class IoVec {

    private IoVec() {
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("iov_base"),
            ValueLayout.JAVA_LONG.withName("iov_len")).withName("iovec");

    /** {@code sizeof(struct iovec)} = 16. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long IOV_BASE = LAYOUT.byteOffset(groupElement("iov_base"));
    public static final long IOV_LEN = LAYOUT.byteOffset(groupElement("iov_len"));

    /** Sets element {@code index} of the iovec array {@code iov}. */
    public static void set(MemorySegment iov, long index, long base, long len) {
        iov.set(ValueLayout.JAVA_LONG, index * SIZE + IOV_BASE, base);
        iov.set(ValueLayout.JAVA_LONG, index * SIZE + IOV_LEN, len);
    }

    public static long base(MemorySegment iov, long index) { return iov.get(ValueLayout.JAVA_LONG, index * SIZE + IOV_BASE); }
    public static long len(MemorySegment iov, long index) { return iov.get(ValueLayout.JAVA_LONG, index * SIZE + IOV_LEN); }
}

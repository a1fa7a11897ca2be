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

    /** The layout of {@code struct iovec}, with named fields. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("iov_base"),
            ValueLayout.JAVA_LONG.withName("iov_len")).withName("iovec");

    /** {@code sizeof(struct iovec)} = 16. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code iov_base}: the buffer's address. */
    public static final long IOV_BASE = LAYOUT.byteOffset(groupElement("iov_base"));
    /** The offset of {@code iov_len}: the buffer's length in bytes. */
    public static final long IOV_LEN = LAYOUT.byteOffset(groupElement("iov_len"));

    /**
     * Sets element {@code index} of the iovec array {@code iov}.
     *
     * @param iov an array of {@code struct iovec}
     * @param index the element's index
     * @param base the buffer's address
     * @param len the buffer's length in bytes
     */
    public static void set(MemorySegment iov, long index, long base, long len) {
        iov.set(ValueLayout.JAVA_LONG, index * SIZE + IOV_BASE, base);
        iov.set(ValueLayout.JAVA_LONG, index * SIZE + IOV_LEN, len);
    }

    /**
     * {@return {@code iov_base}: the buffer's address}
     *
     * @param iov an array of {@code struct iovec}
     * @param index the index of the element in the array
     */
    public static long base(MemorySegment iov, long index) { return iov.get(ValueLayout.JAVA_LONG, index * SIZE + IOV_BASE); }
    /**
     * {@return {@code iov_len}: the buffer's length in bytes}
     *
     * @param iov an array of {@code struct iovec}
     * @param index the index of the element in the array
     */
    public static long len(MemorySegment iov, long index) { return iov.get(ValueLayout.JAVA_LONG, index * SIZE + IOV_LEN); }
}

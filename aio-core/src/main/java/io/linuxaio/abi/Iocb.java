package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct iocb}, 64 bytes, as in {@code <linux/aio_abi.h>}:
 *
 * <pre>{@code
 * struct iocb {
 *     __u64   aio_data;          // returned in io_event.data
 * #if little endian
 *     __u32   aio_key;           // the kernel sets it to KIOCB_KEY (0)
 *     __kernel_rwf_t aio_rw_flags; // RWF_*
 * #else
 *     __kernel_rwf_t aio_rw_flags;
 *     __u32   aio_key;
 * #endif
 *     __u16   aio_lio_opcode;    // IOCB_CMD_*
 *     __s16   aio_reqprio;
 *     __u32   aio_fildes;
 *     __u64   aio_buf;           // buffer, or iovec array for PREADV/PWRITEV, or poll events
 *     __u64   aio_nbytes;        // bytes, or iovec count
 *     __s64   aio_offset;
 *     __u64   aio_reserved2;     // must be 0
 *     __u32   aio_flags;         // IOCB_FLAG_*
 *     __u32   aio_resfd;         // eventfd for IOCB_FLAG_RESFD
 * };
 * }</pre>
 *
 * <p>The accessors are static flyweights over a segment of at least {@link #SIZE} bytes: no object
 * per iocb.
 */
public final class Iocb {

    private Iocb() {
    }

    private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** The layout, with {@code aio_key} and {@code aio_rw_flags} in native byte order's order. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("aio_data"),
            LITTLE ? ValueLayout.JAVA_INT.withName("aio_key") : ValueLayout.JAVA_INT.withName("aio_rw_flags"),
            LITTLE ? ValueLayout.JAVA_INT.withName("aio_rw_flags") : ValueLayout.JAVA_INT.withName("aio_key"),
            ValueLayout.JAVA_SHORT.withName("aio_lio_opcode"),
            ValueLayout.JAVA_SHORT.withName("aio_reqprio"),
            ValueLayout.JAVA_INT.withName("aio_fildes"),
            ValueLayout.JAVA_LONG.withName("aio_buf"),
            ValueLayout.JAVA_LONG.withName("aio_nbytes"),
            ValueLayout.JAVA_LONG.withName("aio_offset"),
            ValueLayout.JAVA_LONG.withName("aio_reserved2"),
            ValueLayout.JAVA_INT.withName("aio_flags"),
            ValueLayout.JAVA_INT.withName("aio_resfd")).withName("iocb");

    /** {@code sizeof(struct iocb)} = 64. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code aio_data}: the caller's value, returned in {@code io_event.data}. */
    public static final long AIO_DATA = LAYOUT.byteOffset(groupElement("aio_data"));
    /** The offset of {@code aio_key}: set by the kernel to {@code KIOCB_KEY} (0). */
    public static final long AIO_KEY = LAYOUT.byteOffset(groupElement("aio_key"));
    /** The offset of {@code aio_rw_flags}: {@code RWF_*} flags of the request. */
    public static final long AIO_RW_FLAGS = LAYOUT.byteOffset(groupElement("aio_rw_flags"));
    /** The offset of {@code aio_lio_opcode}: the operation, an {@code IOCB_CMD_*}. */
    public static final long AIO_LIO_OPCODE = LAYOUT.byteOffset(groupElement("aio_lio_opcode"));
    /** The offset of {@code aio_reqprio}: the I/O priority, used with {@code IOCB_FLAG_IOPRIO}. */
    public static final long AIO_REQPRIO = LAYOUT.byteOffset(groupElement("aio_reqprio"));
    /** The offset of {@code aio_fildes}: the file descriptor. */
    public static final long AIO_FILDES = LAYOUT.byteOffset(groupElement("aio_fildes"));
    /**
     * The offset of {@code aio_buf}: the buffer's address, the iovec array's for {@code PREADV}/{@code PWRITEV}, or the
     * poll events for {@code POLL}.
     */
    public static final long AIO_BUF = LAYOUT.byteOffset(groupElement("aio_buf"));
    /** The offset of {@code aio_nbytes}: the byte count, or the iovec count. */
    public static final long AIO_NBYTES = LAYOUT.byteOffset(groupElement("aio_nbytes"));
    /** The offset of {@code aio_offset}: the file offset. */
    public static final long AIO_OFFSET = LAYOUT.byteOffset(groupElement("aio_offset"));
    /** The offset of {@code aio_reserved2}: reserved, must be 0. */
    public static final long AIO_RESERVED2 = LAYOUT.byteOffset(groupElement("aio_reserved2"));
    /** The offset of {@code aio_flags}: {@code IOCB_FLAG_*} flags. */
    public static final long AIO_FLAGS = LAYOUT.byteOffset(groupElement("aio_flags"));
    /** The offset of {@code aio_resfd}: the eventfd signalled on completion with {@code IOCB_FLAG_RESFD}. */
    public static final long AIO_RESFD = LAYOUT.byteOffset(groupElement("aio_resfd"));

    /**
     * {@return {@code aio_data}: the caller's value, returned in {@code io_event.data}}
     *
     * @param iocb the iocb
     */
    public static long aioData(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_LONG, AIO_DATA); }
    /**
     * Sets {@code aio_data}: the caller's value, returned in {@code io_event.data}.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioData(MemorySegment iocb, long v) { iocb.set(ValueLayout.JAVA_LONG, AIO_DATA, v); }
    /**
     * {@return {@code aio_key}: set by the kernel to {@code KIOCB_KEY} (0)}
     *
     * @param iocb the iocb
     */
    public static int aioKey(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_INT, AIO_KEY); }
    /**
     * Sets {@code aio_key}: set by the kernel to {@code KIOCB_KEY} (0).
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioKey(MemorySegment iocb, int v) { iocb.set(ValueLayout.JAVA_INT, AIO_KEY, v); }
    /**
     * {@return {@code aio_rw_flags}: {@code RWF_*} flags of the request}
     *
     * @param iocb the iocb
     */
    public static int aioRwFlags(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_INT, AIO_RW_FLAGS); }
    /**
     * Sets {@code aio_rw_flags}: {@code RWF_*} flags of the request.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioRwFlags(MemorySegment iocb, int v) { iocb.set(ValueLayout.JAVA_INT, AIO_RW_FLAGS, v); }
    /**
     * {@return {@code aio_lio_opcode}: the operation, an {@code IOCB_CMD_*}}
     *
     * @param iocb the iocb
     */
    public static short aioLioOpcode(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_SHORT, AIO_LIO_OPCODE); }
    /**
     * Sets {@code aio_lio_opcode}: the operation, an {@code IOCB_CMD_*}.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioLioOpcode(MemorySegment iocb, short v) { iocb.set(ValueLayout.JAVA_SHORT, AIO_LIO_OPCODE, v); }
    /**
     * {@return {@code aio_reqprio}: the I/O priority, used with {@code IOCB_FLAG_IOPRIO}}
     *
     * @param iocb the iocb
     */
    public static short aioReqprio(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_SHORT, AIO_REQPRIO); }
    /**
     * Sets {@code aio_reqprio}: the I/O priority, used with {@code IOCB_FLAG_IOPRIO}.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioReqprio(MemorySegment iocb, short v) { iocb.set(ValueLayout.JAVA_SHORT, AIO_REQPRIO, v); }
    /**
     * {@return {@code aio_fildes}: the file descriptor}
     *
     * @param iocb the iocb
     */
    public static int aioFildes(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_INT, AIO_FILDES); }
    /**
     * Sets {@code aio_fildes}: the file descriptor.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioFildes(MemorySegment iocb, int v) { iocb.set(ValueLayout.JAVA_INT, AIO_FILDES, v); }
    /**
     * {@return {@code aio_buf}: the buffer's address, the iovec array's for {@code PREADV}/{@code PWRITEV}, or the poll
     * events for {@code POLL}}
     *
     * @param iocb the iocb
     */
    public static long aioBuf(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_LONG, AIO_BUF); }
    /**
     * Sets {@code aio_buf}: the buffer's address, the iovec array's for {@code PREADV}/{@code PWRITEV}, or the poll
     * events for {@code POLL}.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioBuf(MemorySegment iocb, long v) { iocb.set(ValueLayout.JAVA_LONG, AIO_BUF, v); }
    /**
     * {@return {@code aio_nbytes}: the byte count, or the iovec count}
     *
     * @param iocb the iocb
     */
    public static long aioNbytes(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_LONG, AIO_NBYTES); }
    /**
     * Sets {@code aio_nbytes}: the byte count, or the iovec count.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioNbytes(MemorySegment iocb, long v) { iocb.set(ValueLayout.JAVA_LONG, AIO_NBYTES, v); }
    /**
     * {@return {@code aio_offset}: the file offset}
     *
     * @param iocb the iocb
     */
    public static long aioOffset(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_LONG, AIO_OFFSET); }
    /**
     * Sets {@code aio_offset}: the file offset.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioOffset(MemorySegment iocb, long v) { iocb.set(ValueLayout.JAVA_LONG, AIO_OFFSET, v); }
    /**
     * {@return {@code aio_reserved2}: reserved, must be 0}
     *
     * @param iocb the iocb
     */
    public static long aioReserved2(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_LONG, AIO_RESERVED2); }
    /**
     * Sets {@code aio_reserved2}: reserved, must be 0.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioReserved2(MemorySegment iocb, long v) { iocb.set(ValueLayout.JAVA_LONG, AIO_RESERVED2, v); }
    /**
     * {@return {@code aio_flags}: {@code IOCB_FLAG_*} flags}
     *
     * @param iocb the iocb
     */
    public static int aioFlags(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_INT, AIO_FLAGS); }
    /**
     * Sets {@code aio_flags}: {@code IOCB_FLAG_*} flags.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioFlags(MemorySegment iocb, int v) { iocb.set(ValueLayout.JAVA_INT, AIO_FLAGS, v); }
    /**
     * {@return {@code aio_resfd}: the eventfd signalled on completion with {@code IOCB_FLAG_RESFD}}
     *
     * @param iocb the iocb
     */
    public static int aioResfd(MemorySegment iocb) { return iocb.get(ValueLayout.JAVA_INT, AIO_RESFD); }
    /**
     * Sets {@code aio_resfd}: the eventfd signalled on completion with {@code IOCB_FLAG_RESFD}.
     *
     * @param iocb the iocb
     * @param v the value
     */
    public static void aioResfd(MemorySegment iocb, int v) { iocb.set(ValueLayout.JAVA_INT, AIO_RESFD, v); }

    /**
     * Fills every field of {@code iocb} at once (the {@code io_prep_*} of libaio, in one call):
     * {@code aio_key} and {@code aio_reserved2} are zeroed.
     *
     * @param iocb the iocb, at least {@link #SIZE} bytes
     * @param opcode an {@code IOCB_CMD_*}
     * @param fd the file descriptor
     * @param buf the buffer's address, the iovec array's, or the poll events
     * @param nbytes the byte count, or the iovec count
     * @param offset the file offset
     * @param data the caller's value, returned in {@code io_event.data}
     * @param rwFlags {@code RWF_*} flags
     * @param flags {@code IOCB_FLAG_*} flags
     * @param reqprio the I/O priority (with {@code IOCB_FLAG_IOPRIO})
     * @param resfd the eventfd to signal (with {@code IOCB_FLAG_RESFD})
     */
    public static void prep(MemorySegment iocb, short opcode, int fd, long buf, long nbytes, long offset,
                            long data, int rwFlags, int flags, short reqprio, int resfd) {
        iocb.set(ValueLayout.JAVA_LONG, AIO_DATA, data);
        iocb.set(ValueLayout.JAVA_INT, AIO_KEY, 0);
        iocb.set(ValueLayout.JAVA_INT, AIO_RW_FLAGS, rwFlags);
        iocb.set(ValueLayout.JAVA_SHORT, AIO_LIO_OPCODE, opcode);
        iocb.set(ValueLayout.JAVA_SHORT, AIO_REQPRIO, reqprio);
        iocb.set(ValueLayout.JAVA_INT, AIO_FILDES, fd);
        iocb.set(ValueLayout.JAVA_LONG, AIO_BUF, buf);
        iocb.set(ValueLayout.JAVA_LONG, AIO_NBYTES, nbytes);
        iocb.set(ValueLayout.JAVA_LONG, AIO_OFFSET, offset);
        iocb.set(ValueLayout.JAVA_LONG, AIO_RESERVED2, 0L);
        iocb.set(ValueLayout.JAVA_INT, AIO_FLAGS, flags);
        iocb.set(ValueLayout.JAVA_INT, AIO_RESFD, resfd);
    }

    /**
     * {@code io_prep_pread}: a PREAD of {@code nbytes} at {@code offset} into {@code buf}.
     *
     * @param iocb the iocb
     * @param fd the file descriptor, open for reading
     * @param buf the buffer
     * @param nbytes how many bytes
     * @param offset the file offset
     */
    public static void prepPread(MemorySegment iocb, int fd, MemorySegment buf, long nbytes, long offset) {
        prep(iocb, AioAbi.IOCB_CMD_PREAD, fd, buf.address(), nbytes, offset, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_prep_pwrite}: a PWRITE of {@code nbytes} at {@code offset} from {@code buf}.
     *
     * @param iocb the iocb
     * @param fd the file descriptor, open for writing
     * @param buf the buffer
     * @param nbytes how many bytes
     * @param offset the file offset
     */
    public static void prepPwrite(MemorySegment iocb, int fd, MemorySegment buf, long nbytes, long offset) {
        prep(iocb, AioAbi.IOCB_CMD_PWRITE, fd, buf.address(), nbytes, offset, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_prep_preadv}: a PREADV of {@code iovcnt} iovecs at {@code iov}.
     *
     * @param iocb the iocb
     * @param fd the file descriptor, open for reading
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset
     */
    public static void prepPreadv(MemorySegment iocb, int fd, MemorySegment iov, int iovcnt, long offset) {
        prep(iocb, AioAbi.IOCB_CMD_PREADV, fd, iov.address(), iovcnt, offset, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_prep_pwritev}: a PWRITEV of {@code iovcnt} iovecs at {@code iov}.
     *
     * @param iocb the iocb
     * @param fd the file descriptor, open for writing
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset
     */
    public static void prepPwritev(MemorySegment iocb, int fd, MemorySegment iov, int iovcnt, long offset) {
        prep(iocb, AioAbi.IOCB_CMD_PWRITEV, fd, iov.address(), iovcnt, offset, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_prep_fsync}, or {@code io_prep_fdsync} when {@code dataOnly}.
     *
     * @param iocb the iocb
     * @param fd the file descriptor
     * @param dataOnly {@code IOCB_CMD_FDSYNC} instead of {@code IOCB_CMD_FSYNC}
     */
    public static void prepFsync(MemorySegment iocb, int fd, boolean dataOnly) {
        prep(iocb, dataOnly ? AioAbi.IOCB_CMD_FDSYNC : AioAbi.IOCB_CMD_FSYNC, fd, 0, 0, 0, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_prep_poll}: poll {@code fd} for {@code events} ({@code POLL*} bits).
     *
     * @param iocb the iocb
     * @param fd the file descriptor
     * @param events the {@code POLL*} events to wait for
     */
    public static void prepPoll(MemorySegment iocb, int fd, int events) {
        prep(iocb, AioAbi.IOCB_CMD_POLL, fd, events & 0xffffffffL, 0, 0, 0, 0, 0, (short) 0, 0);
    }

    /**
     * {@code io_set_eventfd}: signal {@code eventfd} on completion ({@link AioAbi#IOCB_FLAG_RESFD}).
     *
     * @param iocb the iocb, already prepared
     * @param eventfd the eventfd
     */
    public static void setEventFd(MemorySegment iocb, int eventfd) {
        aioFlags(iocb, aioFlags(iocb) | AioAbi.IOCB_FLAG_RESFD);
        aioResfd(iocb, eventfd);
    }

    /**
     * Sets an I/O priority with {@link AioAbi#IOCB_FLAG_IOPRIO}.
     *
     * @param iocb the iocb, already prepared
     * @param ioprio a priority from {@link IoPrio#prioValue}
     */
    public static void setIoprio(MemorySegment iocb, int ioprio) {
        aioFlags(iocb, aioFlags(iocb) | AioAbi.IOCB_FLAG_IOPRIO);
        aioReqprio(iocb, (short) ioprio);
    }
}

package io.linuxaio.abi;

/**
 * The constants of {@code <linux/aio_abi.h>} and the {@code RWF_*} flags of {@code <linux/fs.h>}
 * that {@code struct iocb}'s {@code aio_rw_flags} takes.
 */
public final class AioAbi {

    private AioAbi() {
    }

    /** {@code IOCB_CMD_PREAD}: read {@code aio_nbytes} at {@code aio_offset} into {@code aio_buf}. */
    public static final short IOCB_CMD_PREAD = 0;
    /** {@code IOCB_CMD_PWRITE}: write {@code aio_nbytes} from {@code aio_buf} at {@code aio_offset}. */
    public static final short IOCB_CMD_PWRITE = 1;
    /** {@code IOCB_CMD_FSYNC} (Linux 4.18+): {@code fsync(2)} of {@code aio_fildes}. */
    public static final short IOCB_CMD_FSYNC = 2;
    /** {@code IOCB_CMD_FDSYNC} (Linux 4.18+): {@code fdatasync(2)} of {@code aio_fildes}. */
    public static final short IOCB_CMD_FDSYNC = 3;
    /** {@code IOCB_CMD_POLL} (Linux 4.19+): poll {@code aio_fildes} for the events in {@code aio_buf}. */
    public static final short IOCB_CMD_POLL = 5;
    /** {@code IOCB_CMD_NOOP}: defined by the header, refused by the kernel with EINVAL. */
    public static final short IOCB_CMD_NOOP = 6;
    /** {@code IOCB_CMD_PREADV}: {@code aio_buf} points to {@code aio_nbytes} iovecs. */
    public static final short IOCB_CMD_PREADV = 7;
    /** {@code IOCB_CMD_PWRITEV}: {@code aio_buf} points to {@code aio_nbytes} iovecs. */
    public static final short IOCB_CMD_PWRITEV = 8;

    /** {@code IOCB_FLAG_RESFD}: signal the eventfd {@code aio_resfd} on completion. */
    public static final int IOCB_FLAG_RESFD = 1;
    /** {@code IOCB_FLAG_IOPRIO} (Linux 4.18+): {@code aio_reqprio} holds an ioprio value. */
    public static final int IOCB_FLAG_IOPRIO = 1 << 1;

    /** {@code RWF_HIPRI} (4.6+): high-priority request, poll if possible. */
    public static final int RWF_HIPRI = 0x00000001;
    /** {@code RWF_DSYNC} (4.7+): per-I/O O_DSYNC. */
    public static final int RWF_DSYNC = 0x00000002;
    /** {@code RWF_SYNC} (4.7+): per-I/O O_SYNC. */
    public static final int RWF_SYNC = 0x00000004;
    /** {@code RWF_NOWAIT} (4.14+): fail with EAGAIN instead of blocking. */
    public static final int RWF_NOWAIT = 0x00000008;
    /** {@code RWF_APPEND} (4.16+): per-I/O O_APPEND. */
    public static final int RWF_APPEND = 0x00000010;
    /** {@code RWF_NOAPPEND} (6.9+): per-I/O negation of O_APPEND. */
    public static final int RWF_NOAPPEND = 0x00000020;
    /** {@code RWF_ATOMIC} (6.11+): write untorn, as one unit. */
    public static final int RWF_ATOMIC = 0x00000040;
    /** {@code RWF_DONTCACHE} (6.14+): drop the pages from the page cache once the I/O is done. */
    public static final int RWF_DONTCACHE = 0x00000080;
    /** Every {@code RWF_*} flag this binding knows ({@code RWF_SUPPORTED}). */
    public static final int RWF_SUPPORTED = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND
            | RWF_NOAPPEND | RWF_ATOMIC | RWF_DONTCACHE;

    /** {@code POLLIN} of {@code <poll.h>}, for {@link #IOCB_CMD_POLL}. */
    public static final int POLLIN = 0x001;
    /** {@code POLLPRI}. */
    public static final int POLLPRI = 0x002;
    /** {@code POLLOUT}. */
    public static final int POLLOUT = 0x004;
    /** {@code POLLERR}. */
    public static final int POLLERR = 0x008;
    /** {@code POLLHUP}. */
    public static final int POLLHUP = 0x010;
    /** {@code POLLNVAL}. */
    public static final int POLLNVAL = 0x020;
    /** {@code POLLRDNORM}. */
    public static final int POLLRDNORM = 0x040;
    /** {@code POLLRDBAND}. */
    public static final int POLLRDBAND = 0x080;
    /** {@code POLLWRNORM}. */
    public static final int POLLWRNORM = 0x100;
    /** {@code POLLWRBAND}. */
    public static final int POLLWRBAND = 0x200;
    /** {@code POLLRDHUP}. */
    public static final int POLLRDHUP = 0x2000;

    /** The kernel's cap on the iovecs of one request ({@code UIO_MAXIOV}). */
    public static final int UIO_MAXIOV = 1024;
    /** The kernel's cap on the bytes of one read or write ({@code MAX_RW_COUNT}). */
    public static final long MAX_RW_COUNT = 0x7ffff000L;
    /** The magic number of a user-space readable {@code struct aio_ring} ({@code AIO_RING_MAGIC}). */
    public static final int AIO_RING_MAGIC = 0xa10a10a1;
}

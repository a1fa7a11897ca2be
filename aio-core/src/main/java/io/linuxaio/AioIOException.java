package io.linuxaio;

import io.linuxaio.abi.Errno;

import java.io.IOException;

/**
 * An AIO request failed: the kernel answered {@code -errno} (in the completion's {@code res}, or from
 * {@code io_submit} for this very request). The message and the accessors name the operation, the file
 * (path and descriptor), the position, the length and the errno:
 *
 * <pre>pwrite of /data/log at position 4096, length 8192 (fd 12) failed with error(-28) ENOSPC: No space left on
 * device</pre>
 */
public class AioIOException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The operation. */
    private final String op;
    /** The file's path, or a description of the descriptor. */
    private final String file;
    /** The file position, or -1. */
    private final long position;
    /** The byte count, or -1. */
    private final long length;
    /** The positive errno. */
    private final int errno;

    /**
     * A failed request.
     *
     * @param op the operation, e.g. {@code "pread"}
     * @param file the path, or a description of the descriptor
     * @param position the file position, or -1 when the operation has none
     * @param length the byte count asked for, or -1 when the operation has none
     * @param errno the positive errno
     * @param detail more about the failure, or {@code null}
     */
    public AioIOException(String op, String file, long position, long length, int errno, String detail) {
        super(message(op, file, position, length, errno, detail));
        this.op = op;
        this.file = file;
        this.position = position;
        this.length = length;
        this.errno = errno;
    }

    private static String message(String op, String file, long position, long length, int errno, String detail) {
        StringBuilder sb = new StringBuilder(op).append(" of ").append(file);
        if (position >= 0) {
            sb.append(" at position ").append(position);
        }
        if (length >= 0) {
            sb.append(position >= 0 ? ", length " : " length ").append(length);
        }
        sb.append(" failed with error(-").append(errno).append(") ").append(Errno.name(errno)).append(": ")
                .append(Errno.describe(errno));
        if (detail != null) {
            sb.append(" (").append(detail).append(')');
        }
        return sb.toString();
    }

    /**
     * {@return the operation: {@code pread}, {@code pwrite}, {@code preadv}, {@code pwritev}, {@code fsync},
     * {@code fdatasync}, {@code poll}, {@code ftruncate}, {@code fallocate}}
     */
    public String op() {
        return op;
    }

    /** {@return the file's path, or a description of the descriptor} */
    public String file() {
        return file;
    }

    /** {@return the file position of the request, or -1} */
    public long position() {
        return position;
    }

    /** {@return the byte count of the request, or -1} */
    public long length() {
        return length;
    }

    /** {@return the positive errno} */
    public int errno() {
        return errno;
    }

    /** {@return the symbolic errno, e.g. {@code "ENOSPC"}} */
    public String errnoName() {
        return Errno.name(errno);
    }
}

package io.linuxaio.abi;

import java.io.IOException;

/**
 * A system or C library call failed. The message names the call, the errno number and name,
 * {@code strerror} and, where the man page gives one, the meaning of that errno for that call:
 *
 * <pre>io_setup(..) failed with error(-11) EAGAIN: Resource temporarily unavailable
 *   (nr_events exceeds /proc/sys/fs/aio-max-nr or the available events)</pre>
 */
public class ErrnoException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The failed call. */
    private final String call;
    /** The positive errno number. */
    private final int errno;

    /**
     * An exception for a failed call.
     *
     * @param call the failed call, e.g. {@code "io_submit"}
     * @param errno the error number (positive, or the negative value the raw call returned)
     */
    public ErrnoException(String call, int errno) {
        this(call, errno, null);
    }

    /**
     * An exception for a failed call, with what was being done.
     *
     * @param call the failed call
     * @param errno the error number (positive, or the negative value the raw call returned)
     * @param detail what was being done, appended to the message, or {@code null}
     */
    public ErrnoException(String call, int errno, String detail) {
        super(message(call, Math.abs(errno), detail));
        this.call = call;
        this.errno = Math.abs(errno);
    }

    private static String message(String call, int errno, String detail) {
        StringBuilder sb = new StringBuilder(call).append("(..) failed with error(-").append(errno).append(") ")
                .append(Errno.name(errno)).append(": ").append(Errno.describe(errno));
        String meaning = Errno.meaning(call, errno);
        if (meaning != null) {
            sb.append(" (").append(meaning).append(')');
        }
        if (detail != null) {
            sb.append("; ").append(detail);
        }
        return sb.toString();
    }

    /** {@return the failed call, e.g. {@code "io_submit"}} */
    public String call() {
        return call;
    }

    /** {@return the positive errno number} */
    public int errno() {
        return errno;
    }

    /** {@return the symbolic errno name, e.g. {@code "EAGAIN"}} */
    public String errnoName() {
        return Errno.name(errno);
    }

    /**
     * Throws an {@code ErrnoException} when {@code result} is a negative errno.
     *
     * @param call the call that returned {@code result}
     * @param result what the raw call returned
     * @return {@code result}, when it is not negative
     * @throws ErrnoException if {@code result} is negative
     */
    public static long check(String call, long result) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(call, (int) -result);
        }
        return result;
    }
}

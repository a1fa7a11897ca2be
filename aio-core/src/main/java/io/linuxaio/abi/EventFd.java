package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code eventfd(2)}: the counter the kernel bumps for every iocb that names it with
 * {@link AioAbi#IOCB_FLAG_RESFD}. Any thread may call these methods.
 */
public final class EventFd {

    private EventFd() {
    }

    /** {@code EFD_SEMAPHORE}: each read returns 1 and decrements the counter. */
    public static final int EFD_SEMAPHORE = 1;
    /** {@code EFD_CLOEXEC}. */
    public static final int EFD_CLOEXEC = 02000000;
    /** {@code EFD_NONBLOCK}: a read of a zero counter fails with EAGAIN instead of blocking. */
    public static final int EFD_NONBLOCK = 04000;

    private static final MethodHandle EVENTFD = Native.libc("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /**
     * {@code int eventfd(unsigned int initval, int flags)}.
     *
     * @param initval the counter's initial value
     * @param flags {@code EFD_*} flags
     * @return the descriptor, or {@code -errno}
     */
    public static int eventfd(int initval, int flags) {
        MemorySegment st = Native.callState();
        try {
            int r = (int) Native.need(EVENTFD, "eventfd").invokeExact(st, initval, flags);
            return r == -1 ? -Native.errno(st) : r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Checked {@code eventfd}.
     *
     * @param initval the counter's initial value
     * @param flags {@code EFD_*} flags
     * @return the descriptor
     * @throws ErrnoException if {@code eventfd} fails
     */
    public static int create(int initval, int flags) throws ErrnoException {
        return (int) ErrnoException.check("eventfd", eventfd(initval, flags));
    }

    /**
     * {@code int eventfd_read(int fd, eventfd_t *value)}: reads the counter (and resets it).
     *
     * @param fd the eventfd
     * @param value 8 bytes that receive the counter
     * @return 0, or {@code -errno} ({@code -EAGAIN} for a zero counter of a non-blocking eventfd)
     */
    public static long eventfd_read(int fd, MemorySegment value) {
        long r = LibC.read(fd, value, 8);
        return r < 0 ? r : 0;
    }

    /**
     * {@code int eventfd_write(int fd, eventfd_t value)}: adds a value to the counter.
     *
     * @param fd the eventfd
     * @param value 8 bytes that hold the value to add
     * @return 0, or {@code -errno}
     */
    public static long eventfd_write(int fd, MemorySegment value) {
        long r = LibC.write(fd, value, 8);
        return r < 0 ? r : 0;
    }

    /**
     * Checked read: reads the counter and resets it.
     *
     * @param fd the eventfd
     * @return the counter's value (0 when a non-blocking eventfd's counter is zero)
     * @throws ErrnoException if the read fails
     */
    public static long read(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(ValueLayout.JAVA_LONG);
            long r = eventfd_read(fd, buf);
            if (r == -Errno.EAGAIN) {
                return 0;
            }
            ErrnoException.check("eventfd read", r);
            return buf.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /**
     * Checked write: adds {@code value} to the counter.
     *
     * @param fd the eventfd
     * @param value what to add
     * @throws ErrnoException if the write fails
     */
    public static void write(int fd, long value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(ValueLayout.JAVA_LONG);
            buf.set(ValueLayout.JAVA_LONG, 0, value);
            ErrnoException.check("eventfd write", eventfd_write(fd, buf));
        }
    }
}

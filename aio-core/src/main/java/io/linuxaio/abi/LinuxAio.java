package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The Linux AIO system calls, one to one with the kernel's:
 *
 * <pre>{@code
 * int io_setup(unsigned nr_events, aio_context_t *ctx_idp);
 * int io_destroy(aio_context_t ctx_id);
 * int io_submit(aio_context_t ctx_id, long nr, struct iocb **iocbpp);
 * int io_cancel(aio_context_t ctx_id, struct iocb *iocb, struct io_event *result);
 * int io_getevents(aio_context_t ctx_id, long min_nr, long nr, struct io_event *events,
 *                  struct timespec *timeout);
 * int io_pgetevents(aio_context_t ctx_id, long min_nr, long nr, struct io_event *events,
 *                   struct timespec *timeout, const struct __aio_sigset *usig);
 * }</pre>
 *
 * <p>The raw methods carry the C names and return the kernel's result or {@code -errno}; they never
 * throw for a failed call and allocate nothing. The checked methods (camel case) throw an
 * {@link ErrnoException} that names the call, the errno and what it means for that call.
 * They are made through glibc's {@code syscall(2)} with the numbers of {@link LinuxArch#current()};
 * errno is captured by the downcall itself. All methods may be called from any thread; the kernel
 * serializes what needs serializing.
 */
public final class LinuxAio {

    private LinuxAio() {
    }

    private static final LinuxArch ARCH = LinuxArch.current();
    private static final long NR_IO_SETUP = ARCH != null ? ARCH.sysIoSetup : -1;
    private static final long NR_IO_DESTROY = ARCH != null ? ARCH.sysIoDestroy : -1;
    private static final long NR_IO_SUBMIT = ARCH != null ? ARCH.sysIoSubmit : -1;
    private static final long NR_IO_CANCEL = ARCH != null ? ARCH.sysIoCancel : -1;
    private static final long NR_IO_GETEVENTS = ARCH != null ? ARCH.sysIoGetevents : -1;
    private static final long NR_IO_PGETEVENTS = ARCH != null ? ARCH.sysIoPgetevents : -1;

    private static final MethodHandle IO_SETUP = Native.syscall(JAVA_LONG, ADDRESS);
    private static final MethodHandle IO_DESTROY = Native.syscall(JAVA_LONG);
    private static final MethodHandle IO_SUBMIT = Native.syscall(JAVA_LONG, JAVA_LONG, ADDRESS);
    private static final MethodHandle IO_CANCEL = Native.syscall(JAVA_LONG, ADDRESS, ADDRESS);
    private static final MethodHandle IO_GETEVENTS = Native.syscall(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
    private static final MethodHandle IO_PGETEVENTS = Native.syscall(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS);

    private static long result(long r, MemorySegment state) {
        return r == -1 ? -Native.errno(state) : r;
    }

    // ---------------------------------------------------------------- raw calls

    /**
     * {@code io_setup(nr_events, ctx_idp)}.
     *
     * @param nrEvents how many events the context must hold at least (unsigned)
     * @param ctxIdp an {@code aio_context_t} (a {@code long}) that is 0 before the call and receives the context
     * @return 0, or {@code -errno}
     */
    public static int io_setup(int nrEvents, MemorySegment ctxIdp) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((long) Native.need(IO_SETUP, "io_setup").invokeExact(st, NR_IO_SETUP, nrEvents & 0xffffffffL, ctxIdp), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code io_destroy(ctx_id)}: waits for in-flight I/O, cancels pending polls.
     *
     * @param ctx the context
     * @return 0, or {@code -errno}
     */
    public static int io_destroy(long ctx) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((long) Native.need(IO_DESTROY, "io_destroy").invokeExact(st, NR_IO_DESTROY, ctx), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code io_submit(ctx_id, nr, iocbpp)}.
     *
     * @param ctx the context
     * @param nr how many iocbs
     * @param iocbpp an array of {@code nr} addresses of {@link Iocb}s
     * @return the number of iocbs accepted (possibly fewer than {@code nr}), or {@code -errno} when the
     *         first one was refused
     */
    public static long io_submit(long ctx, long nr, MemorySegment iocbpp) {
        MemorySegment st = Native.callState();
        try {
            return result((long) Native.need(IO_SUBMIT, "io_submit").invokeExact(st, NR_IO_SUBMIT, ctx, nr, iocbpp), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code io_cancel(ctx_id, iocb, result)}.
     *
     * @param ctx the context
     * @param iocb the iocb, at the address that was submitted
     * @param result an {@link IoEvent} (unused by kernels since 5.x, which complete through the ring)
     * @return {@code -EINPROGRESS} when a cancellation was started (the completion arrives through the
     *         ring), or another {@code -errno}
     */
    public static int io_cancel(long ctx, MemorySegment iocb, MemorySegment result) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((long) Native.need(IO_CANCEL, "io_cancel").invokeExact(st, NR_IO_CANCEL, ctx, iocb, result), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code io_getevents(ctx_id, min_nr, nr, events, timeout)}.
     *
     * @param ctx the context
     * @param minNr how many events to wait for at least
     * @param nr how many events to read at most
     * @param events an array of {@code nr} {@link IoEvent}s
     * @param timeout a {@link Timespec}, or {@code MemorySegment.NULL} to wait without a limit
     * @return the number of events read, or {@code -errno}
     */
    public static long io_getevents(long ctx, long minNr, long nr, MemorySegment events, MemorySegment timeout) {
        MemorySegment st = Native.callState();
        try {
            return result((long) Native.need(IO_GETEVENTS, "io_getevents").invokeExact(st, NR_IO_GETEVENTS, ctx, minNr, nr, events, timeout), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code io_pgetevents(ctx_id, min_nr, nr, events, timeout, usig)} (Linux 4.18+): as
     * {@link #io_getevents} with the signal mask of {@code usig} applied while waiting.
     *
     * @param ctx the context
     * @param minNr how many events to wait for at least
     * @param nr how many events to read at most
     * @param events an array of {@code nr} {@link IoEvent}s
     * @param timeout a {@link Timespec}, or {@code MemorySegment.NULL} to wait without a limit
     * @param usig an {@link AioSigset}, or {@code MemorySegment.NULL}
     * @return the number of events read, or {@code -errno}
     */
    public static long io_pgetevents(long ctx, long minNr, long nr, MemorySegment events, MemorySegment timeout,
                                     MemorySegment usig) {
        MemorySegment st = Native.callState();
        try {
            return result((long) Native.need(IO_PGETEVENTS, "io_pgetevents").invokeExact(st, NR_IO_PGETEVENTS, ctx, minNr, nr, events, timeout, usig), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- checked calls

    /**
     * Checked {@code io_setup}.
     *
     * @param nrEvents how many events the context must hold at least
     * @return the new context
     * @throws ErrnoException if {@code io_setup} fails; the message gives {@code aio-max-nr} and {@code aio-nr}
     */
    public static long ioSetup(int nrEvents) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctxp = arena.allocate(JAVA_LONG);
            int r = io_setup(nrEvents, ctxp);
            if (r < 0) {
                throw new ErrnoException("io_setup", -r, "nr_events=" + Integer.toUnsignedString(nrEvents)
                        + ", /proc/sys/fs/aio-max-nr=" + AioLimits.aioMaxNr() + ", /proc/sys/fs/aio-nr=" + AioLimits.aioNr());
            }
            return ctxp.get(JAVA_LONG, 0);
        }
    }

    /**
     * Checked {@code io_destroy}.
     *
     * @param ctx the context
     * @throws ErrnoException if {@code io_destroy} fails
     */
    public static void ioDestroy(long ctx) throws ErrnoException {
        ErrnoException.check("io_destroy", io_destroy(ctx));
    }

    /**
     * Checked {@code io_submit}.
     *
     * @param ctx the context
     * @param nr how many iocbs
     * @param iocbpp an array of {@code nr} addresses of {@link Iocb}s
     * @return the number of iocbs accepted, possibly fewer than {@code nr}
     * @throws ErrnoException if the first iocb was refused
     */
    public static int ioSubmit(long ctx, long nr, MemorySegment iocbpp) throws ErrnoException {
        return (int) ErrnoException.check("io_submit", io_submit(ctx, nr, iocbpp));
    }

    /**
     * Checked {@code io_cancel}.
     *
     * @param ctx the context
     * @param iocb the iocb, at the address that was submitted
     * @param result an {@link IoEvent}
     * @return true when a cancellation was started ({@code EINPROGRESS}) or done (0)
     * @throws ErrnoException for any other error
     */
    public static boolean ioCancel(long ctx, MemorySegment iocb, MemorySegment result) throws ErrnoException {
        int r = io_cancel(ctx, iocb, result);
        if (r == 0 || r == -Errno.EINPROGRESS) {
            return true;
        }
        throw new ErrnoException("io_cancel", -r);
    }

    /**
     * Checked {@code io_getevents}.
     *
     * @param ctx the context
     * @param minNr how many events to wait for at least
     * @param nr how many events to read at most
     * @param events an array of {@code nr} {@link IoEvent}s
     * @param timeout a {@link Timespec}, or {@code MemorySegment.NULL} to wait without a limit
     * @return the number of events read
     * @throws ErrnoException if {@code io_getevents} fails
     */
    public static int ioGetevents(long ctx, long minNr, long nr, MemorySegment events, MemorySegment timeout)
            throws ErrnoException {
        return (int) ErrnoException.check("io_getevents", io_getevents(ctx, minNr, nr, events, timeout));
    }

    /**
     * Checked {@code io_pgetevents}.
     *
     * @param ctx the context
     * @param minNr how many events to wait for at least
     * @param nr how many events to read at most
     * @param events an array of {@code nr} {@link IoEvent}s
     * @param timeout a {@link Timespec}, or {@code MemorySegment.NULL} to wait without a limit
     * @param usig an {@link AioSigset}, or {@code MemorySegment.NULL}
     * @return the number of events read
     * @throws ErrnoException if {@code io_pgetevents} fails
     */
    public static int ioPgetevents(long ctx, long minNr, long nr, MemorySegment events, MemorySegment timeout,
                                   MemorySegment usig) throws ErrnoException {
        return (int) ErrnoException.check("io_pgetevents", io_pgetevents(ctx, minNr, nr, events, timeout, usig));
    }

    // ---------------------------------------------------------------- availability

    /** {@return whether Linux AIO can be used in this JVM: a supported architecture and a kernel with AIO} */
    public static boolean isAvailable() {
        return Availability.CAUSE == null;
    }

    /** {@return why Linux AIO cannot be used, or {@code null} when it can} */
    public static Throwable unavailabilityCause() {
        return Availability.CAUSE;
    }

    /**
     * Throws if Linux AIO cannot be used.
     *
     * @throws UnsatisfiedLinkError whose cause says why Linux AIO is unavailable
     * @throws IllegalCallerException when the JVM denies the library native access: its message names the
     *         {@code --enable-native-access} option to add
     */
    public static void ensureAvailability() {
        Throwable cause = Availability.CAUSE;
        if (cause instanceof IllegalCallerException denied) {
            throw new IllegalCallerException(denied.getMessage(), denied);
        }
        if (cause != null) {
            throw (UnsatisfiedLinkError) new UnsatisfiedLinkError("Linux AIO is not available: " + cause.getMessage())
                    .initCause(cause);
        }
    }

    /**
     * What this kernel's AIO supports, probed once on first use.
     *
     * @return the features
     * @throws UnsatisfiedLinkError if Linux AIO is unavailable
     */
    public static AioFeatures features() {
        ensureAvailability();
        return AioFeatures.Holder.INSTANCE;
    }

    private static final class Availability {
        static final Throwable CAUSE = probe();

        private static Throwable probe() {
            if (ARCH == null) {
                return new UnsupportedOperationException("Linux AIO is supported on little-endian Linux x86_64, aarch64 "
                        + "and riscv64; this JVM runs on " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            }
            if (NativeAccess.isDenied()) {
                return NativeAccess.deniedException();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ctxp = arena.allocate(JAVA_LONG);
                int r = io_setup(1, ctxp);
                if (r == -Errno.EAGAIN) {
                    return null; // present, but aio-max-nr is used up right now: not a lack of support
                }
                if (r < 0) {
                    return new ErrnoException("io_setup", -r, r == -Errno.ENOSYS
                            ? "the kernel was built without CONFIG_AIO" : "the probe context could not be set up");
                }
                io_destroy(ctxp.get(ValueLayout.JAVA_LONG, 0));
                return null;
            } catch (Throwable t) {
                return t;
            }
        }
    }
}

package io.linuxaio.abi;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux errno numbers (asm-generic, shared by x86_64 and aarch64), their symbolic names, their
 * {@code strerror(3)} text, and what each means for the AIO system calls, after the man pages.
 */
public final class Errno {

    /** {@code EPERM}: Operation not permitted. */
    public static final int EPERM = 1;
    /** {@code ENOENT}: No such file or directory. */
    public static final int ENOENT = 2;
    /** {@code EINTR}: Interrupted system call. */
    public static final int EINTR = 4;
    /** {@code EIO}: Input/output error. */
    public static final int EIO = 5;
    /** {@code ENXIO}: No such device or address. */
    public static final int ENXIO = 6;
    /** {@code EBADF}: Bad file descriptor. */
    public static final int EBADF = 9;
    /** {@code EAGAIN}: Resource temporarily unavailable. */
    public static final int EAGAIN = 11;
    /** {@code ENOMEM}: Cannot allocate memory. */
    public static final int ENOMEM = 12;
    /** {@code EACCES}: Permission denied. */
    public static final int EACCES = 13;
    /** {@code EFAULT}: Bad address. */
    public static final int EFAULT = 14;
    /** {@code EBUSY}: Device or resource busy. */
    public static final int EBUSY = 16;
    /** {@code EEXIST}: File exists. */
    public static final int EEXIST = 17;
    /** {@code ENODEV}: No such device. */
    public static final int ENODEV = 19;
    /** {@code ENOTDIR}: Not a directory. */
    public static final int ENOTDIR = 20;
    /** {@code EISDIR}: Is a directory. */
    public static final int EISDIR = 21;
    /** {@code EINVAL}: Invalid argument. */
    public static final int EINVAL = 22;
    /** {@code EMFILE}: Too many open files. */
    public static final int EMFILE = 24;
    /** {@code EFBIG}: File too large. */
    public static final int EFBIG = 27;
    /** {@code ENOSPC}: No space left on device. */
    public static final int ENOSPC = 28;
    /** {@code ESPIPE}: Illegal seek. */
    public static final int ESPIPE = 29;
    /** {@code EROFS}: Read-only file system. */
    public static final int EROFS = 30;
    /** {@code EPIPE}: Broken pipe. */
    public static final int EPIPE = 32;
    /** {@code ENOSYS}: Function not implemented. */
    public static final int ENOSYS = 38;
    /** {@code EOVERFLOW}: Value too large for defined data type. */
    public static final int EOVERFLOW = 75;
    /** {@code EOPNOTSUPP}: Operation not supported. */
    public static final int EOPNOTSUPP = 95;
    /** {@code EINPROGRESS}: Operation now in progress. */
    public static final int EINPROGRESS = 115;
    /** {@code EDQUOT}: Disk quota exceeded. */
    public static final int EDQUOT = 122;
    /** {@code ECANCELED}: Operation canceled. */
    public static final int ECANCELED = 125;

    private static final String[] NAMES = {
        null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
        null, "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI",
        "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", null, "EBFONT", "ENOSTR",
        "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
        "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
        "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE",
        "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT",
        "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS",
        "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
        "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT",
        "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED",
        "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    };

    private static final MethodHandle STRERROR =
            Native.libcNoErrno("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Errno() {
    }

    /**
     * {@return the symbolic name of {@code errno} ({@code "EAGAIN"}), or {@code "E<number>"} for an unknown one}
     *
     * @param errno the error number (its sign is ignored)
     */
    public static String name(int errno) {
        int e = Math.abs(errno);
        String name = e < NAMES.length ? NAMES[e] : null;
        return name != null ? name : "E" + e;
    }

    /**
     * {@return the C library's description of {@code errno} ({@code strerror(3)})}
     *
     * @param errno the error number (its sign is ignored)
     */
    public static String describe(int errno) {
        int e = Math.abs(errno);
        if (STRERROR != null) {
            try {
                MemorySegment s = (MemorySegment) STRERROR.invokeExact(e);
                if (!s.equals(MemorySegment.NULL)) {
                    return s.reinterpret(1024).getString(0);
                }
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
        return "error " + e;
    }

    /**
     * What {@code errno} means when returned by the named system call, after its man page.
     *
     * @param call the system call, e.g. {@code "io_setup"}
     * @param errno the error number (its sign is ignored)
     * @return the meaning, or {@code null} when the man page says nothing specific
     */
    public static String meaning(String call, int errno) {
        int e = Math.abs(errno);
        return switch (call) {
            case "io_setup" -> switch (e) {
                case EAGAIN -> "nr_events exceeds /proc/sys/fs/aio-max-nr or the available events";
                case EFAULT -> "an invalid pointer was passed for ctx_idp";
                case EINVAL -> "ctx_idp is not initialized to 0, or nr_events is 0 or exceeds internal limits";
                case ENOMEM -> "insufficient kernel resources are available";
                case ENOSYS -> "io_setup() is not implemented on this architecture or kernel";
                default -> null;
            };
            case "io_destroy" -> switch (e) {
                case EFAULT -> "the context pointed to is invalid";
                case EINVAL -> "the AIO context specified by ctx_id is invalid";
                case ENOSYS -> "io_destroy() is not implemented on this architecture or kernel";
                default -> null;
            };
            case "io_submit" -> switch (e) {
                case EAGAIN -> "insufficient resources are available to queue any iocbs (the ring is full)";
                case EBADF -> "the file descriptor of the first iocb is invalid or not open for the requested access";
                case EFAULT -> "one of the data structures points to invalid data";
                case EINVAL -> "the AIO context is invalid, nr is negative, the first iocb is not properly initialized "
                        + "(opcode, reserved fields, offset), the operation is invalid for its file descriptor, "
                        + "or aio_resfd is not an eventfd";
                case ENOSYS -> "io_submit() is not implemented on this architecture or kernel";
                case EPERM -> "aio_reqprio asks for IOPRIO_CLASS_RT without CAP_SYS_ADMIN";
                case EOPNOTSUPP -> "aio_rw_flags has a flag this kernel or file does not support";
                default -> null;
            };
            case "io_cancel" -> switch (e) {
                case EAGAIN -> "the iocb specified was not canceled";
                case EFAULT -> "one of the data structures points to invalid data";
                case EINVAL -> "the AIO context is invalid, or the iocb is not pending or cannot be canceled "
                        + "(the kernel cancels only IOCB_CMD_POLL)";
                case EINPROGRESS -> "cancellation is in progress: the completion arrives through the ring";
                case ENOSYS -> "io_cancel() is not implemented on this architecture or kernel";
                default -> null;
            };
            case "io_getevents", "io_pgetevents" -> switch (e) {
                case EFAULT -> "either events or timeout is an invalid pointer";
                case EINTR -> "interrupted by a signal handler";
                case EINVAL -> "ctx_id is invalid, min_nr is out of range or nr is out of range"
                        + ("io_pgetevents".equals(call) ? ", or the sigset size is wrong" : "");
                case ENOSYS -> call + "() is not implemented on this architecture or kernel";
                default -> null;
            };
            case "eventfd" -> switch (e) {
                case EINVAL -> "an unsupported value was specified in flags";
                case EMFILE -> "the per-process limit on open file descriptors has been reached";
                case ENOMEM -> "there was insufficient memory to create a new eventfd file descriptor";
                default -> null;
            };
            case "open" -> switch (e) {
                case EINVAL -> "the filesystem does not support O_DIRECT, or the flags are invalid";
                case ENOENT -> "the file does not exist and O_CREAT was not given, or a directory in the path does not exist";
                case EACCES -> "the requested access to the file is not allowed";
                case EISDIR -> "the path refers to a directory and write access was requested";
                case EPERM -> "O_NOATIME was given but the caller does not own the file";
                case EEXIST -> "the file exists and O_CREAT and O_EXCL were given";
                default -> null;
            };
            default -> null;
        };
    }
}

package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few C library calls a user of the AIO binding needs for files and descriptors: {@code open}
 * (with {@code O_DIRECT}), {@code close}, {@code statx} for the direct-I/O alignment, positional and
 * vectored reads and writes, sync, size and allocation, and pipes and socket pairs to poll.
 *
 * <p>Every method comes raw (named as in C; returns the result, or {@code -errno}) and, where a
 * caller usually wants an exception, checked (camel case; throws {@link ErrnoException}). A call whose
 * function the C library lacks throws {@link UnsupportedOperationException}.
 * All methods may be called from any thread.
 */
public final class LibC {

    private LibC() {
    }

    private static final LinuxArch ARCH = LinuxArch.current();

    /** {@code O_RDONLY}: open for reading only. */
    public static final int O_RDONLY = 0;
    /** {@code O_WRONLY}: open for writing only. */
    public static final int O_WRONLY = 01;
    /** {@code O_RDWR}: open for reading and writing. */
    public static final int O_RDWR = 02;
    /** {@code O_CREAT}: create the file if it does not exist (with the {@code mode} given to {@code open}). */
    public static final int O_CREAT = 0100;
    /** {@code O_EXCL}: with {@code O_CREAT}, fail with {@code EEXIST} if the file exists. */
    public static final int O_EXCL = 0200;
    /** {@code O_NOCTTY}: a terminal opened does not become the controlling terminal. */
    public static final int O_NOCTTY = 0400;
    /** {@code O_TRUNC}: truncate a regular file opened for writing to length 0. */
    public static final int O_TRUNC = 01000;
    /** {@code O_APPEND}: every {@code write} goes to the end of the file (positional writes too, on Linux). */
    public static final int O_APPEND = 02000;
    /** {@code O_NONBLOCK}: opening and I/O on FIFOs, sockets and devices do not block. */
    public static final int O_NONBLOCK = 04000;
    /** {@code O_DSYNC}: every write is durable, as if followed by {@code fdatasync}. */
    public static final int O_DSYNC = 010000;
    /** {@code O_SYNC}: every write is durable, as if followed by {@code fsync}. */
    public static final int O_SYNC = 04010000;
    /** {@code O_NOATIME}: reads do not update the access time (owner or privileged callers only). */
    public static final int O_NOATIME = 01000000;
    /** {@code O_CLOEXEC}: the descriptor is closed on {@code execve}. */
    public static final int O_CLOEXEC = 02000000;
    /** {@code O_PATH}: a descriptor that only names a place in the file system (no I/O). */
    public static final int O_PATH = 010000000;
    /** {@code O_DIRECT}: its value depends on the architecture. */
    public static final int O_DIRECT = ARCH != null ? ARCH.oDirect : LinuxArch.X86_64.oDirect;
    /** {@code O_DIRECTORY}: its value depends on the architecture. */
    public static final int O_DIRECTORY = ARCH != null ? ARCH.oDirectory : LinuxArch.X86_64.oDirectory;
    /** {@code O_NOFOLLOW}: its value depends on the architecture. */
    public static final int O_NOFOLLOW = ARCH != null ? ARCH.oNofollow : LinuxArch.X86_64.oNofollow;

    /** {@code AT_FDCWD}. */
    public static final int AT_FDCWD = -100;
    /** {@code AT_EMPTY_PATH}: {@code statx} on the descriptor itself. */
    public static final int AT_EMPTY_PATH = 0x1000;

    /** {@code FALLOC_FL_KEEP_SIZE}. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    /** {@code FALLOC_FL_PUNCH_HOLE}. */
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** {@code FALLOC_FL_ZERO_RANGE}. */
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    /** {@code POSIX_FADV_NORMAL}. */
    public static final int POSIX_FADV_NORMAL = 0;
    /** {@code POSIX_FADV_RANDOM}. */
    public static final int POSIX_FADV_RANDOM = 1;
    /** {@code POSIX_FADV_SEQUENTIAL}. */
    public static final int POSIX_FADV_SEQUENTIAL = 2;
    /** {@code POSIX_FADV_WILLNEED}. */
    public static final int POSIX_FADV_WILLNEED = 3;
    /** {@code POSIX_FADV_DONTNEED}: drop the range's clean pages from the page cache. */
    public static final int POSIX_FADV_DONTNEED = 4;

    /** {@code AF_UNIX}. */
    public static final int AF_UNIX = 1;
    /** {@code SOCK_STREAM}. */
    public static final int SOCK_STREAM = 1;
    /** {@code SOCK_CLOEXEC}. */
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    /** {@code MFD_CLOEXEC}. */
    public static final int MFD_CLOEXEC = 1;
    /** {@code BLKSSZGET}: the logical block size of a block device, an {@code int}. */
    public static final long BLKSSZGET = 0x1268;

    private static final MethodHandle OPEN = Native.libc("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = Native.libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PREAD = Native.libc("pread64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = Native.libc("pwrite64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PREADV = Native.libc("preadv64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PWRITEV = Native.libc("pwritev64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PREADV2 = Native.libc("preadv2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PWRITEV2 = Native.libc("pwritev2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDFILE = Native.libc("sendfile64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle ISATTY = Native.libc("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FSYNC = Native.libc("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = Native.libc("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = Native.libc("ftruncate64", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FALLOCATE = Native.libc("fallocate64",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle POSIX_FADVISE = Native.libc("posix_fadvise64",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle STATX = Native.libc("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle PIPE2 = Native.libc("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = Native.libc("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MEMFD_CREATE = Native.libc("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL = Native.libc("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = Native.libc("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POSIX_MEMALIGN = Native.libcNoErrno("posix_memalign",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = Native.libcNoErrno("free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle DUP = Native.libc("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FCNTL = Native.libc("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));

    private static long result(long r, MemorySegment state) {
        return r == -1 ? -Native.errno(state) : r;
    }

    private static MethodHandle need(MethodHandle h, String name) {
        return Native.need(h, name);
    }

    /**
     * {@code int open(const char *pathname, int flags, mode_t mode)}.
     *
     * @param pathname a NUL-terminated path ({@link #cString})
     * @param flags {@code O_*} flags
     * @param mode the permission bits of a file {@code O_CREAT} creates
     * @return the descriptor, or {@code -errno}
     */
    public static int open(MemorySegment pathname, int flags, int mode) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(OPEN, "open").invokeExact(st, pathname, flags, mode), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Checked {@code open}: the path is encoded as the platform encodes file names (UTF-8 here).
     *
     * @param path the file
     * @param flags {@code O_*} flags
     * @param mode the permission bits of a file {@code O_CREAT} creates
     * @return the descriptor
     * @throws ErrnoException if {@code open} fails; the message names the path
     */
    public static int open(Path path, int flags, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            int fd = open(cString(arena, path), flags, mode);
            if (fd < 0) {
                throw new ErrnoException("open", -fd, path.toString());
            }
            return fd;
        }
    }

    /**
     * A NUL-terminated copy of the path's bytes.
     *
     * @param arena where the copy is allocated
     * @param path the path
     * @return the copy, in UTF-8
     */
    public static MemorySegment cString(Arena arena, Path path) {
        return arena.allocateFrom(path.toString(), StandardCharsets.UTF_8);
    }

    /**
     * {@code int close(int fd)}.
     *
     * @param fd the descriptor
     * @return 0, or {@code -errno}
     */
    public static int close(int fd) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(CLOSE, "close").invokeExact(st, fd), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int isatty(int fd)}: whether {@code fd} refers to a terminal (the JDK tells it for no
     * descriptor but standard input and output together).
     *
     * @param fd the descriptor
     * @return true when it is a terminal; false otherwise, or when it is not open
     */
    public static boolean isatty(int fd) {
        MemorySegment st = Native.callState();
        try {
            return (int) need(ISATTY, "isatty").invokeExact(st, fd) == 1;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t read(int fd, void *buf, size_t count)}.
     *
     * @param fd the descriptor
     * @param buf where the bytes go
     * @param count how many bytes at most
     * @return the bytes read (0 at the end of the file), or {@code -errno}
     */
    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(READ, "read").invokeExact(st, fd, buf, count), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t write(int fd, const void *buf, size_t count)}.
     *
     * @param fd the descriptor
     * @param buf the bytes
     * @param count how many bytes
     * @return the bytes written, or {@code -errno}
     */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(WRITE, "write").invokeExact(st, fd, buf, count), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t pread(int fd, void *buf, size_t count, off_t offset)}.
     *
     * @param fd the descriptor
     * @param buf where the bytes go
     * @param count how many bytes at most
     * @param offset the file offset
     * @return the bytes read (0 at or past the end of the file), or {@code -errno}
     */
    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PREAD, "pread64").invokeExact(st, fd, buf, count, offset), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)}.
     *
     * @param fd the descriptor
     * @param buf the bytes
     * @param count how many bytes
     * @param offset the file offset
     * @return the bytes written, or {@code -errno}
     */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PWRITE, "pwrite64").invokeExact(st, fd, buf, count, offset), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)}.
     *
     * @param fd the descriptor
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset
     * @return the bytes read, or {@code -errno}
     */
    public static long preadv(int fd, MemorySegment iov, int iovcnt, long offset) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PREADV, "preadv64").invokeExact(st, fd, iov, iovcnt, offset), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)}.
     *
     * @param fd the descriptor
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset
     * @return the bytes written, or {@code -errno}
     */
    public static long pwritev(int fd, MemorySegment iov, int iovcnt, long offset) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PWRITEV, "pwritev64").invokeExact(st, fd, iov, iovcnt, offset), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)}.
     *
     * @param fd the descriptor
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset, or -1 for the current position
     * @param flags {@code RWF_*} flags ({@link AioAbi#RWF_NOWAIT}...)
     * @return the bytes read, or {@code -errno}
     */
    public static long preadv2(int fd, MemorySegment iov, int iovcnt, long offset, int flags) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PREADV2, "preadv2").invokeExact(st, fd, iov, iovcnt, offset, flags), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)}: copies from a file to a
     * socket (or any file) inside the kernel, from {@code *offset}, which it advances; the file's own position
     * is left alone. On a non-blocking socket whose buffer is full it answers {@code -EAGAIN}.
     *
     * @param outFd the descriptor written (a socket)
     * @param inFd the descriptor read (a regular file)
     * @param offset an {@code off_t} holding the file offset to read from; the kernel advances it
     * @param count at most this many bytes
     * @return the bytes copied, or {@code -errno}
     */
    public static long sendfile(int outFd, int inFd, MemorySegment offset, long count) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(SENDFILE, "sendfile64").invokeExact(st, outFd, inFd, offset, count), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)}.
     *
     * @param fd the descriptor
     * @param iov an array of {@link IoVec}
     * @param iovcnt its length
     * @param offset the file offset, or -1 for the current position
     * @param flags {@code RWF_*} flags ({@link AioAbi#RWF_NOWAIT}...)
     * @return the bytes written, or {@code -errno}
     */
    public static long pwritev2(int fd, MemorySegment iov, int iovcnt, long offset, int flags) {
        MemorySegment st = Native.callState();
        try {
            return result((long) need(PWRITEV2, "pwritev2").invokeExact(st, fd, iov, iovcnt, offset, flags), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int fsync(int fd)}.
     *
     * @param fd the descriptor
     * @return 0, or {@code -errno}
     */
    public static int fsync(int fd) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(FSYNC, "fsync").invokeExact(st, fd), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int fdatasync(int fd)}.
     *
     * @param fd the descriptor
     * @return 0, or {@code -errno}
     */
    public static int fdatasync(int fd) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(FDATASYNC, "fdatasync").invokeExact(st, fd), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int ftruncate(int fd, off_t length)}.
     *
     * @param fd the descriptor, open for writing
     * @param length the new size
     * @return 0, or {@code -errno}
     */
    public static int ftruncate(int fd, long length) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(FTRUNCATE, "ftruncate64").invokeExact(st, fd, length), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int fallocate(int fd, int mode, off_t offset, off_t len)}.
     *
     * @param fd the descriptor, open for writing
     * @param mode 0, or {@code FALLOC_FL_*} flags
     * @param offset where the range starts
     * @param len its length
     * @return 0, or {@code -errno}
     */
    public static int fallocate(int fd, int mode, long offset, long len) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(FALLOCATE, "fallocate64").invokeExact(st, fd, mode, offset, len), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int posix_fadvise(int fd, off_t offset, off_t len, int advice)}
     * (the C function returns the error number instead of setting errno).
     *
     * @param fd the descriptor
     * @param offset where the range starts
     * @param len its length (0: to the end of the file)
     * @param advice a {@code POSIX_FADV_*} value
     * @return 0, or {@code -errno}
     */
    public static int posix_fadvise(int fd, long offset, long len, int advice) {
        MemorySegment st = Native.callState();
        try {
            int r = (int) need(POSIX_FADVISE, "posix_fadvise64").invokeExact(st, fd, offset, len, advice);
            return -r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf)}.
     *
     * @param dirfd the directory a relative path starts from, or {@link #AT_FDCWD}
     * @param pathname a NUL-terminated path
     * @param flags {@code AT_*} flags
     * @param mask the {@code STATX_*} fields asked for
     * @param statxbuf a {@link Statx#LAYOUT} the kernel fills
     * @return 0, or {@code -errno}
     */
    public static int statx(int dirfd, MemorySegment pathname, int flags, int mask, MemorySegment statxbuf) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(STATX, "statx").invokeExact(st, dirfd, pathname, flags, mask, statxbuf), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code statx(fd, "", AT_EMPTY_PATH, mask, statxbuf)}: the descriptor's own attributes.
     *
     * @param fd the descriptor
     * @param mask the {@code STATX_*} fields asked for
     * @param statxbuf a {@link Statx#LAYOUT} the kernel fills
     * @return 0, or {@code -errno}
     */
    public static int fstatx(int fd, int mask, MemorySegment statxbuf) {
        return statx(fd, EMPTY_PATH, AT_EMPTY_PATH, mask, statxbuf);
    }

    /** The empty C string {@code fstatx} passes, made once. */
    private static final MemorySegment EMPTY_PATH = Arena.global().allocateFrom("");

    /**
     * {@code int pipe2(int pipefd[2], int flags)}: {@code pipefd[0]} is the read end.
     *
     * @param pipefd two {@code int}s the descriptors are written to
     * @param flags {@code O_CLOEXEC}, {@code O_NONBLOCK}, or 0
     * @return 0, or {@code -errno}
     */
    public static int pipe2(MemorySegment pipefd, int flags) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(PIPE2, "pipe2").invokeExact(st, pipefd, flags), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Checked {@code pipe2}.
     *
     * @param flags {@code O_CLOEXEC}, {@code O_NONBLOCK}, or 0
     * @return {@code [read end, write end]}
     * @throws ErrnoException if {@code pipe2} fails
     */
    public static int[] pipe(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            ErrnoException.check("pipe2", pipe2(fds, flags));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * {@code int socketpair(int domain, int type, int protocol, int sv[2])}.
     *
     * @param domain {@link #AF_UNIX}
     * @param type {@link #SOCK_STREAM}, possibly with {@link #SOCK_CLOEXEC}
     * @param protocol 0
     * @param sv two {@code int}s the descriptors are written to
     * @return 0, or {@code -errno}
     */
    public static int socketpair(int domain, int type, int protocol, MemorySegment sv) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(SOCKETPAIR, "socketpair").invokeExact(st, domain, type, protocol, sv), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Checked {@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)}.
     *
     * @return the two connected descriptors
     * @throws ErrnoException if {@code socketpair} fails
     */
    public static int[] socketPair() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            ErrnoException.check("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * {@code int memfd_create(const char *name, unsigned int flags)}.
     *
     * @param name a NUL-terminated name, shown in {@code /proc/self/fd}
     * @param flags {@link #MFD_CLOEXEC}, or 0
     * @return the descriptor of an anonymous file in memory, or {@code -errno}
     */
    public static int memfd_create(MemorySegment name, int flags) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(MEMFD_CREATE, "memfd_create").invokeExact(st, name, flags), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int ioctl(int fd, unsigned long request, void *argp)}.
     *
     * @param fd the descriptor
     * @param request the request code, e.g. {@link #BLKSSZGET}
     * @param argp the request's argument
     * @return the request's result (0 for most), or {@code -errno}
     */
    public static int ioctl(int fd, long request, MemorySegment argp) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(IOCTL, "ioctl").invokeExact(st, fd, request, argp), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code F_GETFL}: {@code fcntl} returns the file status flags. */
    public static final int F_GETFL = 3;
    /**
     * {@code F_SETFL}: {@code fcntl} sets the file status flags ({@code O_APPEND}, {@code O_NONBLOCK}, {@code
     * O_DIRECT}...).
     */
    public static final int F_SETFL = 4;
    /**
     * {@code F_DUPFD_CLOEXEC}: {@code fcntl} duplicates the descriptor onto the lowest free number at or above
     * its argument, with close-on-exec set.
     */
    public static final int F_DUPFD_CLOEXEC = 1030;

    /**
     * {@code int fcntl(int fd, int cmd, int arg)} (the variadic argument as an int).
     *
     * @param fd the descriptor
     * @param cmd {@link #F_GETFL}, {@link #F_SETFL}...
     * @param arg the command's argument (ignored by {@code F_GETFL})
     * @return the command's result, or {@code -errno}
     */
    public static int fcntl(int fd, int cmd, int arg) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(FCNTL, "fcntl").invokeExact(st, fd, cmd, arg), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int dup(int oldfd)}.
     *
     * @param fd the descriptor to duplicate
     * @return the new descriptor, or {@code -errno}
     */
    public static int dup(int fd) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(DUP, "dup").invokeExact(st, fd), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code sizeof(struct pollfd)}: {@code int fd; short events; short revents;}. */
    public static final long POLLFD_SIZE = 8;

    /**
     * {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}.
     *
     * @param fds an array of {@code struct pollfd} ({@link #POLLFD_SIZE} bytes each)
     * @param nfds its length
     * @param timeoutMillis how long to wait, -1 for ever
     * @return the number of ready descriptors (0 on timeout), or {@code -errno}
     */
    public static int poll(MemorySegment fds, long nfds, int timeoutMillis) {
        MemorySegment st = Native.callState();
        try {
            return (int) result((int) need(POLL, "poll").invokeExact(st, fds, nfds, timeoutMillis), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code posix_memalign}: {@code size} bytes aligned to {@code alignment}. Free them with {@link #free}.
     *
     * @param size how many bytes
     * @param alignment a power of two, at least the size of a pointer
     * @return the address, or 0 when memory is exhausted
     */
    public static long posixMemalign(long size, long alignment) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(JAVA_LONG);
            int r = (int) need(POSIX_MEMALIGN, "posix_memalign").invokeExact(p, alignment, Math.max(1, size));
            return r == 0 ? p.get(JAVA_LONG, 0) : 0;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code void free(void *ptr)} of memory from {@link #posixMemalign}.
     *
     * @param address the address {@code posixMemalign} returned
     */
    public static void free(long address) {
        try {
            need(FREE, "free").invokeExact(address);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

}

package io.linuxaio.engine;

import io.linuxaio.AioOpenOption;
import io.linuxaio.DirectIoAlignment;
import io.linuxaio.NotRegularFileException;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.Statx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Opens files for AIO: open options to {@code O_*} flags (with {@code FileChannel}'s rules), the
 * {@code open(2)} errno to the JDK's exceptions, the file-type check, and the {@code O_DIRECT} alignment
 * probe. Runs on the calling thread, and blocks while the kernel opens the file; never longer: a FIFO,
 * socket, character device or directory is refused with {@link NotRegularFileException} without waiting
 * for a FIFO's other end.
 */
public final class FileOpener {

    private static final Logger LOG = LoggerFactory.getLogger(FileOpener.class);

    /** {@code AT_SYMLINK_NOFOLLOW}: statx describes a symbolic link itself. */
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    /** The alignment assumed when neither statx nor sysfs reports one. */
    private static final int ASSUMED_ALIGNMENT = 4096;

    private FileOpener() {
    }

    /** Opens {@code path}; the handle's descriptor is closed again if a check after the open fails. */
    public static FileHandle open(Path path, OpenOption... options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        boolean read = false;
        boolean write = false;
        int flags = LibC.O_CLOEXEC;
        boolean direct = false;
        boolean deleteOnClose = false;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "an open option is null");
            if (o instanceof StandardOpenOption so) {
                switch (so) {
                    case READ -> read = true;
                    case WRITE -> write = true;
                    case APPEND -> throw new UnsupportedOperationException("APPEND is not supported: every write of an "
                            + "AioFile names its position, which O_APPEND would silently ignore (AsynchronousFileChannel "
                            + "refuses APPEND too); write at the file's size instead");
                    case CREATE -> flags |= LibC.O_CREAT;
                    case CREATE_NEW -> flags |= LibC.O_CREAT | LibC.O_EXCL;
                    case TRUNCATE_EXISTING -> flags |= LibC.O_TRUNC;
                    case DSYNC -> flags |= LibC.O_DSYNC;
                    case SYNC -> flags |= LibC.O_SYNC;
                    case DELETE_ON_CLOSE -> deleteOnClose = true;
                    case SPARSE -> {
                        // files are sparse unless allocated: nothing to do
                    }
                }
            } else if (o instanceof AioOpenOption ao) {
                switch (ao) {
                    case DIRECT -> {
                        flags |= LibC.O_DIRECT;
                        direct = true;
                    }
                    case DSYNC -> flags |= LibC.O_DSYNC;
                    case SYNC -> flags |= LibC.O_SYNC;
                    case NOATIME -> flags |= LibC.O_NOATIME;
                }
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                flags |= LibC.O_NOFOLLOW;
            } else {
                throw new UnsupportedOperationException("open option " + o + " is not supported; use StandardOpenOption, "
                        + "AioOpenOption or LinkOption.NOFOLLOW_LINKS");
            }
        }
        if (!write) {
            read = true;
            // as FileChannel: CREATE, CREATE_NEW and TRUNCATE_EXISTING are ignored when only reading
            flags &= ~(LibC.O_CREAT | LibC.O_EXCL | LibC.O_TRUNC);
        }
        flags |= read && write ? LibC.O_RDWR : write ? LibC.O_WRONLY : LibC.O_RDONLY;

        // one allocation and as few system calls as can be: code that opens a file per task pays them per task
        try (Arena arena = Arena.ofConfined()) {
            byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment block = arena.allocate(Statx.SIZE + name.length + 1, Statx.LAYOUT.byteAlignment());
            MemorySegment stx = block.asSlice(0, Statx.LAYOUT);
            MemorySegment cPath = block.asSlice(Statx.SIZE, name.length + 1); // NUL-terminated: allocate zeroes
            MemorySegment.copy(name, 0, cPath, ValueLayout.JAVA_BYTE, 0, name.length);
            // O_NONBLOCK: opening a FIFO would otherwise wait for its other end; it is cleared below
            int fd = LibC.open(cPath, flags | LibC.O_NONBLOCK, 0666);
            if (fd == -Errno.ENXIO) { // a FIFO without a reader, or a socket: say what it is
                String type = typeOf(stx, cPath, (flags & LibC.O_NOFOLLOW) != 0);
                if (type != null) {
                    throw new NotRegularFileException(path.toString(), type);
                }
            }
            if (fd < 0) {
                throw openFailure(path, -fd, direct);
            }
            FileHandle file = new FileHandle(path, fd, direct, read, write, deleteOnClose);
            try {
                String type = typeName(mode(stx, fd, path));
                if (type != null) {
                    throw new NotRegularFileException(path.toString(), type);
                }
                // F_SETFL changes only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and O_NONBLOCK: the flags of the
                // open leave the others as they are, so no F_GETFL is needed
                ErrnoException.check("fcntl(F_SETFL)", LibC.fcntl(fd, LibC.F_SETFL, flags));
                if (direct) {
                    file.alignment(probeAlignment(fd, path, true));
                }
            } catch (IOException | RuntimeException e) {
                LibC.close(fd);
                throw e;
            }
            return file;
        }
    }

    private static IOException openFailure(Path path, int errno, boolean direct) {
        String file = path.toString();
        return switch (errno) {
            case Errno.ENOENT -> new NoSuchFileException(file);
            case Errno.EEXIST -> new FileAlreadyExistsException(file);
            case Errno.EACCES, Errno.EPERM -> (AccessDeniedException) new AccessDeniedException(file, null,
                    new ErrnoException("open", errno).getMessage()).initCause(new ErrnoException("open", errno, file));
            default -> new ErrnoException("open", errno, file + (direct ? " with O_DIRECT" : ""));
        };
    }

    /** What a file of this mode is, if AIO cannot serve it; null for a regular file or a block device. */
    private static String typeName(int mode) {
        return switch (mode & Statx.S_IFMT) {
            case Statx.S_IFREG, Statx.S_IFBLK -> null;
            case Statx.S_IFDIR -> "directory";
            case Statx.S_IFIFO -> "FIFO";
            case Statx.S_IFSOCK -> "socket";
            case Statx.S_IFCHR -> "character device";
            default -> "special file (mode 0" + Integer.toOctalString(mode) + ")";
        };
    }

    /** {@link #typeName} of the file at {@code cPath}, or null when it cannot be read or is regular. */
    private static String typeOf(MemorySegment stx, MemorySegment cPath, boolean noFollow) {
        int r = LibC.statx(LibC.AT_FDCWD, cPath, noFollow ? AT_SYMLINK_NOFOLLOW : 0, Statx.STATX_TYPE, stx);
        return r < 0 ? null : typeName(Statx.mode(stx));
    }

    private static int mode(MemorySegment stx, int fd, Path path) throws IOException {
        int r = LibC.fstatx(fd, Statx.STATX_TYPE | Statx.STATX_MODE, stx);
        if (r < 0) {
            throw new ErrnoException("statx", -r, path.toString());
        }
        return Statx.mode(stx);
    }

    /**
     * What {@code O_DIRECT} requires of the file's buffers, positions and lengths: from
     * {@code statx(STATX_DIOALIGN)}, else the logical block size of the device.
     */
    static DirectIoAlignment probeAlignment(int fd, Path path, boolean direct) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stx = arena.allocate(Statx.LAYOUT);
            int r = LibC.fstatx(fd, Statx.STATX_DIOALIGN | Statx.STATX_TYPE | Statx.STATX_MODE, stx);
            int blockSize = Math.max(1, Statx.blksize(stx));
            if (r < 0) {
                throw new ErrnoException("statx", -r, path.toString());
            }
            if ((Statx.mask(stx) & Statx.STATX_DIOALIGN) != 0 && Statx.dioOffsetAlign(stx) > 0) {
                return new DirectIoAlignment(Statx.dioMemAlign(stx), Statx.dioOffsetAlign(stx), "statx(STATX_DIOALIGN)",
                        blockSize);
            }
            if ((Statx.mask(stx) & Statx.STATX_DIOALIGN) != 0 && direct) {
                throw new IOException(path + " does not support O_DIRECT (statx reports no direct I/O alignment)");
            }
            int logical;
            String source;
            if ((Statx.mode(stx) & Statx.S_IFMT) == Statx.S_IFBLK) {
                MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                ErrnoException.check("ioctl(BLKSSZGET)", LibC.ioctl(fd, LibC.BLKSSZGET, size));
                logical = size.get(ValueLayout.JAVA_INT, 0);
                source = "BLKSSZGET";
            } else {
                logical = sysfsLogicalBlockSize(Statx.devMajor(stx), Statx.devMinor(stx));
                source = "sysfs logical_block_size";
                if (logical <= 0) {
                    logical = ASSUMED_ALIGNMENT;
                    source = "assumed: the kernel reports no alignment";
                    LOG.warn("{}: no direct I/O alignment from statx or sysfs; assuming {}", path, ASSUMED_ALIGNMENT);
                }
            }
            return new DirectIoAlignment(logical, logical, source, Math.max(blockSize, logical));
        }
    }

    private static int sysfsLogicalBlockSize(int major, int minor) {
        Path dev = Path.of("/sys/dev/block/" + major + ":" + minor);
        for (Path p : new Path[] {dev.resolve("queue/logical_block_size"), dev.resolve("../queue/logical_block_size")}) {
            try {
                return Integer.parseInt(Files.readString(p).trim());
            } catch (IOException | RuntimeException ignored) {
                // not a whole disk, or no such device: try the next
            }
        }
        return -1;
    }
}

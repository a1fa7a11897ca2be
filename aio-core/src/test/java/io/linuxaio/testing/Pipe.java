package io.linuxaio.testing;

import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A non-blocking pipe to poll: its read end is readable once something is written to it. Close it only
 * after the polls on it have completed (a polled descriptor must stay open). Any thread.
 */
public final class Pipe implements AutoCloseable {

    private final int readEnd;
    private final int writeEnd;

    private Pipe(int[] fds) {
        this.readEnd = fds[0];
        this.writeEnd = fds[1];
    }

    /** A new pipe, both ends close-on-exec and non-blocking. */
    public static Pipe open() throws ErrnoException {
        return new Pipe(LibC.pipe(LibC.O_CLOEXEC | LibC.O_NONBLOCK));
    }

    /** The descriptor to poll for POLLIN. */
    public int readEnd() {
        return readEnd;
    }

    /** The descriptor to write to (writable: POLLOUT at once). */
    public int writeEnd() {
        return writeEnd;
    }

    /** Writes {@code bytes}: the read end becomes readable. */
    public void write(byte... bytes) throws ErrnoException {
        writeFully(writeEnd, bytes);
    }

    /** Reads whatever was written: the read end is no longer readable. */
    public void drain() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            while (LibC.read(readEnd, buf, 64) > 0) {
                // emptied
            }
        }
    }

    @Override
    public void close() {
        LibC.close(readEnd);
        LibC.close(writeEnd);
    }

    /** Writes all of {@code bytes} to {@code fd} (a pipe's or a socket's end), as many write(2) calls as it takes. */
    public static void writeFully(int fd, byte... bytes) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
            long done = 0;
            while (done < bytes.length) {
                long n = LibC.write(fd, buf.asSlice(done), bytes.length - done);
                if (n != -Errno.EINTR) {
                    done += ErrnoException.check("write", n);
                }
            }
        }
    }
}

package io.linuxaio.testing;

import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
        LibC.writeFully(writeEnd, bytes);
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
}

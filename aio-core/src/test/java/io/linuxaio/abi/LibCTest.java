package io.linuxaio.abi;

import io.linuxaio.testing.Pipe;
import io.linuxaio.testing.LeakCheck;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.linuxaio.abi.TestSupport.pattern;
import static io.linuxaio.abi.TestSupport.toBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The C library calls of {@link LibC} and the errno names of {@link Errno}. */
@ExtendWith(LeakCheck.class)
@LeakCheck.PerTest
class LibCTest {

    @TempDir
    Path dir;

    @Test
    void isattyIsFalseForAFileAndAClosedDescriptor() throws Exception {
        int fd = LibC.open(Files.write(dir.resolve("tty"), new byte[1]), LibC.O_RDONLY, 0);
        try {
            assertFalse(LibC.isatty(fd));
        } finally {
            LibC.close(fd);
        }
        assertFalse(LibC.isatty(fd));
    }

    @Test
    void openOfMissingFileThrowsEnoentNamingThePath() {
        Path missing = dir.resolve("no-such-file");
        ErrnoException e = assertThrows(ErrnoException.class, () -> LibC.open(missing, LibC.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open", e.call());
        String m = e.getMessage();
        assertTrue(m.contains(missing.toString()), m);
        assertTrue(m.contains("ENOENT") && m.contains("No such file or directory"), m);
    }

    @Test
    void statxGivesTheSizeAndTypeOfAFileAndADirectory() throws Exception {
        Path p = dir.resolve("sized");
        Files.write(p, pattern(12_345, 1));
        try (var s = new TestSupport.Scope()) {
            MemorySegment stx = s.arena.allocate(Statx.LAYOUT);
            assertEquals(0, LibC.statx(LibC.AT_FDCWD, LibC.cString(s.arena, p), 0, Statx.STATX_BASIC_STATS, stx));
            assertTrue((Statx.mask(stx) & Statx.STATX_SIZE) != 0, "stx_mask has STATX_SIZE");
            assertEquals(12_345, Statx.size(stx));
            assertEquals(Statx.S_IFREG, Statx.mode(stx) & Statx.S_IFMT);
            assertEquals(Files.getLastModifiedTime(p).toInstant().getEpochSecond(), Statx.mtimeSec(stx));

            int fd = s.open(p, LibC.O_RDONLY);
            MemorySegment byFd = s.arena.allocate(Statx.LAYOUT);
            assertEquals(0, LibC.fstatx(fd, Statx.STATX_SIZE, byFd));
            assertEquals(12_345, Statx.size(byFd));

            assertEquals(0, LibC.statx(LibC.AT_FDCWD, LibC.cString(s.arena, dir), 0, Statx.STATX_BASIC_STATS, stx));
            assertEquals(Statx.S_IFDIR, Statx.mode(stx) & Statx.S_IFMT);
            assertEquals(-Errno.ENOENT, LibC.statx(LibC.AT_FDCWD, LibC.cString(s.arena, dir.resolve("x")), 0,
                    Statx.STATX_SIZE, stx));
        }
    }

    @Test
    void pwriteAndPreadRoundTrip() throws Exception {
        Path p = dir.resolve("rw");
        byte[] data = pattern(1000, 2);
        try (var s = new TestSupport.Scope()) {
            int fd = s.open(p, LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL);
            assertEquals(1000, LibC.pwrite(fd, s.bytes(data), 1000, 24));
            MemorySegment back = s.buffer(1000);
            assertEquals(1000, LibC.pread(fd, back, 1000, 24));
            assertArrayEquals(data, toBytes(back));
            assertEquals(0, LibC.fdatasync(fd));
            assertEquals(0, LibC.ftruncate(fd, 100));
            assertEquals(76, LibC.pread(fd, back, 1000, 24), "short read after truncation");
            assertEquals(-Errno.EINVAL, LibC.posix_fadvise(fd, 0, 0, 12345), "bad advice");
        }
        assertEquals(100, Files.size(p));
    }

    @Test
    void pipeAndSocketPairCarryBytes() throws Exception {
        try (var s = new TestSupport.Scope()) {
            int[] pipe = s.pipe();
            Pipe.writeFully(pipe[1], new byte[] {1, 2, 3});
            MemorySegment buf = s.buffer(8);
            assertEquals(3, LibC.read(pipe[0], buf, 8));
            assertArrayEquals(new byte[] {1, 2, 3}, TestSupport.toBytes(buf, 0, 3));

            int[] sv = s.socketPair();
            Pipe.writeFully(sv[0], new byte[] {9, 8});
            assertEquals(2, LibC.read(sv[1], buf, 8));
            assertArrayEquals(new byte[] {9, 8}, TestSupport.toBytes(buf, 0, 2));
        }
    }

    @Test
    void closeOfBadFdIsEbadf() {
        assertEquals(-Errno.EBADF, LibC.close(9999));
    }

    @Test
    void errnoNames() {
        assertEquals("EAGAIN", Errno.name(11));
        assertEquals("EAGAIN", Errno.name(-11), "the sign is ignored");
        assertEquals("EINVAL", Errno.name(Errno.EINVAL));
        assertEquals("EOPNOTSUPP", Errno.name(Errno.EOPNOTSUPP));
        assertEquals("EINPROGRESS", Errno.name(Errno.EINPROGRESS));
        assertEquals("ECANCELED", Errno.name(Errno.ECANCELED));
        assertEquals("E9999", Errno.name(9999));
        assertEquals("E41", Errno.name(41), "41 has no name on Linux");
        assertEquals("No such file or directory", Errno.describe(Errno.ENOENT));
    }

    @Test
    void errnoConstantsMatchTheirNames() {
        int[] numbers = {Errno.EPERM, Errno.ENOENT, Errno.EINTR, Errno.EIO, Errno.EBADF, Errno.EAGAIN, Errno.ENOMEM,
                Errno.EACCES, Errno.EFAULT, Errno.EBUSY, Errno.EEXIST, Errno.ENODEV, Errno.ENOTDIR, Errno.EISDIR,
                Errno.EINVAL, Errno.EMFILE, Errno.EFBIG, Errno.ENOSPC, Errno.ESPIPE, Errno.EROFS, Errno.EPIPE,
                Errno.ENOSYS, Errno.EOVERFLOW, Errno.EOPNOTSUPP, Errno.EINPROGRESS, Errno.EDQUOT, Errno.ECANCELED};
        String[] names = {"EPERM", "ENOENT", "EINTR", "EIO", "EBADF", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "EBUSY",
                "EEXIST", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "EMFILE", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
                "EPIPE", "ENOSYS", "EOVERFLOW", "EOPNOTSUPP", "EINPROGRESS", "EDQUOT", "ECANCELED"};
        for (int i = 0; i < numbers.length; i++) {
            assertEquals(names[i], Errno.name(numbers[i]), "errno " + numbers[i]);
        }
    }
}

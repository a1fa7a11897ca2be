package io.linuxaio.abi;

import io.linuxaio.testing.LeakCheck;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eventfd(2)} through {@link EventFd}. */
@ExtendWith(LeakCheck.class)
@LeakCheck.PerTest
class EventFdTest {

    @Test
    void writesAddUpAndReadReturnsTheSumAndResets() throws Exception {
        try (var s = new TestSupport.Scope()) {
            int efd = s.eventFd();
            EventFd.write(efd, 3);
            EventFd.write(efd, 4);
            EventFd.write(efd, 35);
            assertEquals(42, EventFd.read(efd));
            assertEquals(0, EventFd.read(efd), "the read reset the counter");
        }
    }

    @Test
    void nonBlockingReadOfZeroCounterReturnsZeroCheckedAndEagainRaw() throws Exception {
        try (var s = new TestSupport.Scope()) {
            int efd = s.eventFd();
            assertEquals(0, EventFd.read(efd), "checked read of a zero counter");
            MemorySegment buf = s.arena.allocate(ValueLayout.JAVA_LONG);
            assertEquals(-Errno.EAGAIN, EventFd.eventfd_read(efd, buf), "raw read of a zero counter");
        }
    }

    @Test
    void rawReadAndWriteMoveEightBytes() throws Exception {
        try (var s = new TestSupport.Scope()) {
            int efd = s.track(EventFd.create(5, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
            MemorySegment buf = s.arena.allocate(ValueLayout.JAVA_LONG);
            buf.set(ValueLayout.JAVA_LONG, 0, 2);
            assertEquals(0, EventFd.eventfd_write(efd, buf));
            buf.set(ValueLayout.JAVA_LONG, 0, 0);
            assertEquals(0, EventFd.eventfd_read(efd, buf));
            assertEquals(7, buf.get(ValueLayout.JAVA_LONG, 0), "initval 5 + 2");
        }
    }

    @Test
    void semaphoreModeReadsOneAtATime() throws Exception {
        try (var s = new TestSupport.Scope()) {
            int efd = s.track(EventFd.create(2, EventFd.EFD_SEMAPHORE | EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
            assertEquals(1, EventFd.read(efd));
            assertEquals(1, EventFd.read(efd));
            assertEquals(0, EventFd.read(efd));
        }
    }

    @Test
    void invalidFlagsFailWithEinval() {
        assertEquals(-Errno.EINVAL, EventFd.eventfd(0, 2));
        ErrnoException e = assertThrows(ErrnoException.class, () -> EventFd.create(0, 2));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("eventfd("), e.getMessage());
    }
}

package io.linuxaio.examples;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.AioRing;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.IoEvent;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.abi.Timespec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * The binding alone ({@code io.linuxaio.abi}), one system call at a time as in the man pages: io_setup(2),
 * io_submit(2), io_getevents(2), then a second read reaped from the kernel's completion ring in user
 * space, and io_destroy(2).
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.Raw -Dexec.args="--text 'hello, kernel'"</pre>
 */
@Command(name = "raw", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Reads a temporary file with the raw Linux AIO system calls and prints every step.")
public final class Raw implements Callable<Integer> {

    @Option(names = "--text", defaultValue = "Hello from io_submit(2), read back by io_getevents(2).",
            description = "what the temporary file holds (default: ${DEFAULT-VALUE})")
    String text;

    @Option(names = "--dir", description = "where to make the temporary file (default: java.io.tmpdir)")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        byte[] content = text.getBytes(StandardCharsets.UTF_8);
        if (content.length > 4096) {
            throw new ParameterException(spec.commandLine(), "--text: at most 4096 bytes (one read of 4096 bytes reads it)");
        }
        Path path = Files.createTempFile(dir != null ? ExampleSupport.directory(dir) : null, "linux-aio-raw-", ".txt");
        try (Arena arena = Arena.ofConfined()) {
            Files.write(path, content);
            out.printf("temporary file %s holds %d bytes: \"%s\"%n", path, content.length, text);

            int fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            out.printf("open(\"%s\", O_RDONLY | O_CLOEXEC) = %d%n", path, fd);
            try {
                // io_setup(2): a context for up to 8 requests; the kernel returns the address of its ring.
                long ctx = LinuxAio.ioSetup(8);
                out.printf("io_setup(8, &ctx) = 0, ctx = 0x%x%n", ctx);
                try {
                    readWithGetevents(arena, out, ctx, fd, content.length);
                    readFromRing(arena, out, ctx, fd, content.length);
                } finally {
                    // io_destroy(2): waits for requests in flight and unmaps the ring.
                    LinuxAio.ioDestroy(ctx);
                    out.printf("io_destroy(0x%x) = 0%n", ctx);
                }
            } finally {
                out.printf("close(%d) = %d%n", fd, LibC.close(fd));
            }
        } finally {
            Files.delete(path);
            out.printf("deleted %s%n", path);
        }
        return 0;
    }

    /** io_submit(2) one pread, then io_getevents(2) with a timeout. */
    private static void readWithGetevents(Arena arena, PrintWriter out, long ctx, int fd, int length) throws ErrnoException {
        MemorySegment buf = arena.allocate(4096, 4096);
        MemorySegment iocb = arena.allocate(Iocb.LAYOUT);
        Iocb.prepPread(iocb, fd, buf, 4096, 0);   // io_prep_pread: fills every field, aio_data = 0
        Iocb.aioData(iocb, 0xCAFEL);              // returned untouched in io_event.data
        out.printf("io_prep_pread(iocb = 0x%x, fd = %d, buf = 0x%x, nbytes = 4096, offset = 0); iocb->aio_data = 0x%x%n",
                iocb.address(), fd, buf.address(), Iocb.aioData(iocb));

        MemorySegment iocbpp = arena.allocate(ValueLayout.ADDRESS);  // struct iocb *iocbpp[1]
        iocbpp.set(ValueLayout.ADDRESS, 0, iocb);
        int submitted = LinuxAio.ioSubmit(ctx, 1, iocbpp);
        out.printf("io_submit(ctx, 1, iocbpp) = %d%n", submitted);

        MemorySegment events = arena.allocate(IoEvent.LAYOUT, 1);
        MemorySegment timeout = arena.allocate(Timespec.LAYOUT);
        Timespec.set(timeout, Duration.ofSeconds(5));
        int got = LinuxAio.ioGetevents(ctx, 1, 1, events, timeout); // min_nr 1: blocks until one completes, or 5 s
        out.printf("io_getevents(ctx, 1, 1, events, {tv_sec = %d, tv_nsec = %d}) = %d%n",
                Timespec.tvSec(timeout), Timespec.tvNsec(timeout), got);
        if (got != 1) {
            throw new IllegalStateException("no completion within 5 s");
        }
        printEvent(out, events, 0, buf);
        if (IoEvent.res(events, 0) != length) {
            throw new IllegalStateException("read " + IoEvent.res(events, 0) + " bytes, expected " + length);
        }
    }

    /**
     * A second pread, announced on an eventfd ({@code IOCB_FLAG_RESFD}) and read from the completion ring
     * that io_setup mapped at {@code ctx}, with no io_getevents: what the library does on its hot path.
     */
    private static void readFromRing(Arena arena, PrintWriter out, long ctx, int fd, int length) throws ErrnoException {
        MemorySegment ring = AioRing.of(ctx);
        out.println("user-space reaping: the completion ring at ctx");
        printRing(out, ring);
        if (!AioRing.isUserReapable(ring)) {
            out.println("  this kernel's ring cannot be read from user space (magic or incompat_features differ)");
            return;
        }
        int eventFd = EventFd.create(0, EventFd.EFD_CLOEXEC);
        try {
            long offset = Math.min(6, length);
            MemorySegment buf = arena.allocate(4096, 4096);
            MemorySegment iocb = arena.allocate(Iocb.LAYOUT);
            Iocb.prepPread(iocb, fd, buf, 4096, offset);
            Iocb.aioData(iocb, 0xBEEFL);
            Iocb.setEventFd(iocb, eventFd);       // io_set_eventfd: the kernel adds 1 to it per completion
            MemorySegment iocbpp = arena.allocate(ValueLayout.ADDRESS);
            iocbpp.set(ValueLayout.ADDRESS, 0, iocb);
            out.printf("io_prep_pread(fd = %d, offset = %d); io_set_eventfd(iocb, %d); iocb->aio_data = 0x%x%n",
                    fd, offset, eventFd, Iocb.aioData(iocb));
            out.printf("io_submit(ctx, 1, iocbpp) = %d%n", LinuxAio.ioSubmit(ctx, 1, iocbpp));

            // Wait for the eventfd to become readable (5 s at most), then read (and reset) its counter.
            MemorySegment pollfd = arena.allocate(LibC.POLLFD_SIZE, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, eventFd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, (short) AioAbi.POLLIN);
            int ready = LibC.poll(pollfd, 1, 5000);
            if (ready != 1) {
                throw new IllegalStateException("no completion within 5 s (poll returned " + ready + ")");
            }
            out.printf("poll(eventfd) = 1, read(eventfd) = %d completion(s)%n", EventFd.read(eventFd));

            // tail is published by the kernel after the event (acquire); the event at head is ours.
            int tail = AioRing.tailAcquire(ring);
            int head = AioRing.head(ring);
            printRing(out, ring);
            MemorySegment ev = AioRing.events(ring);
            out.printf("  the event at head %d:%n", head);
            printEvent(out, ev, head, buf);
            // Consume it: publishing head (release) hands the slot back to the kernel.
            int newHead = (head + 1) % AioRing.nr(ring);
            AioRing.headRelease(ring, newHead);
            out.printf("  head = %d (tail %d): the ring is empty again%n", newHead, tail);
            if (IoEvent.res(ev, head) != length - offset) {
                throw new IllegalStateException("read " + IoEvent.res(ev, head) + " bytes, expected " + (length - offset));
            }
        } finally {
            LibC.close(eventFd);
        }
    }

    private static void printRing(PrintWriter out, MemorySegment ring) {
        out.printf("  struct aio_ring: nr %d, head %d, tail %d, magic %08x (AIO_RING_MAGIC %08x), incompat_features %d, header_length %d%n",
                AioRing.nr(ring), AioRing.head(ring), AioRing.tailAcquire(ring), AioRing.magic(ring), AioAbi.AIO_RING_MAGIC,
                AioRing.incompatFeatures(ring), AioRing.headerLength(ring));
    }

    private static void printEvent(PrintWriter out, MemorySegment events, int index, MemorySegment buf) {
        long res = IoEvent.res(events, index);
        out.printf("  io_event.data = 0x%x (the iocb's aio_data)%n", IoEvent.data(events, index));
        out.printf("  io_event.obj  = 0x%x (the iocb's address)%n", IoEvent.obj(events, index));
        out.printf("  io_event.res  = %d (%s)%n", res, res >= 0 ? "bytes read" : "-errno");
        out.printf("  io_event.res2 = %d%n", IoEvent.res2(events, index));
        if (res > 0) {
            String bytes = new String(buf.asSlice(0, res).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            out.printf("  bytes read: \"%s\"%n", bytes);
        }
    }

    public static void main(String[] args) {
        ExampleSupport.main(new Raw(), args);
    }
}

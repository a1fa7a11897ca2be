package io.linuxaio.examples;

import io.linuxaio.AioContext;
import io.linuxaio.AioMetrics;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.LibC;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.abi.AioAbi.POLLIN;
import static io.linuxaio.abi.AioAbi.POLLOUT;

/**
 * {@code IOCB_CMD_POLL} (Linux 4.19+): readiness of a pipe, a socket and an eventfd as futures of an AIO
 * context, next to its file I/O; then a poll cancelled in the kernel with {@code future.cancel(true)}.
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.PollDemo</pre>
 */
@Command(name = "poll", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Waits on a pipe, a socket pair and an eventfd with IOCB_CMD_POLL, makes each ready, then cancels a poll.")
public final class PollDemo implements Callable<Integer> {

    private static final long TIMEOUT_SECONDS = 10;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Integer> fds = new ArrayList<>(); // every descriptor made here, closed at the end
        try {
            int[] pipe = track(fds, LibC.pipe(LibC.O_CLOEXEC));          // [read end, write end]
            int[] socket = track(fds, LibC.socketPair());                 // two connected AF_UNIX stream sockets
            int eventFd = track(fds, new int[] {EventFd.create(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK)})[0];
            int[] idle = track(fds, LibC.pipe(LibC.O_CLOEXEC));           // a pipe nobody writes to (yet)

            // The descriptors must stay open while their polls are pending: the context is closed (and
            // every poll done) before the finally block closes them.
            try (AioContext ctx = AioContext.open()) {
                out.printf("IOCB_CMD_POLL on %s%n", ctx);
                CompletableFuture<Integer> pipeReady = ctx.poll(pipe[0], POLLIN);
                CompletableFuture<Integer> socketReady = ctx.poll(socket[1], POLLIN);
                CompletableFuture<Integer> eventReady = ctx.poll(eventFd, POLLIN);
                out.printf("  pipe    fd %d: poll(POLLIN) submitted, done: %b%n", pipe[0], pipeReady.isDone());
                out.printf("  socket  fd %d: poll(POLLIN) submitted, done: %b%n", socket[1], socketReady.isDone());
                out.printf("  eventfd fd %d: poll(POLLIN) submitted, done: %b%n", eventFd, eventReady.isDone());

                write(pipe[1], "hello");
                out.printf("wrote \"hello\" into the pipe      -> pipe: %s%n", events(get(pipeReady)));
                write(socket[0], "ping");
                out.printf("wrote \"ping\" into the socket     -> socket: %s%n", events(get(socketReady)));
                EventFd.write(eventFd, 1);
                out.printf("added 1 to the eventfd's counter -> eventfd: %s (counter read back: %d)%n",
                        events(get(eventReady)), EventFd.read(eventFd));
                // A descriptor that is ready already completes its poll at once.
                out.printf("the other socket end, poll(POLLOUT) -> socket: %s (room in the send buffer)%n",
                        events(get(ctx.poll(socket[0], POLLOUT))));

                // Cancellation: cancel(true) on the future of a pending poll makes the context call
                // io_cancel(2); the kernel then completes the poll through the ring and its slot is freed.
                CompletableFuture<Integer> never = ctx.poll(idle[0], POLLIN);
                out.printf("cancellation: poll(POLLIN) on the idle pipe fd %d, requests in flight: %d%n",
                        idle[0], metrics(ctx).inFlight());
                boolean cancelled = never.cancel(true);
                AioMetrics after = awaitIdle(ctx);
                if (!cancelled || after.inFlight() != 0) {
                    out.printf("the poll was not cancelled in the kernel (cancel: %b, in flight: %d)%n", cancelled, after.inFlight());
                    return 1;
                }
                out.printf("  cancel(true) -> %b; poll cancelled in the kernel: the context got its completion back "
                        + "(requests in flight: %d, cancelled or failed: %d)%n", never.isCancelled(), after.inFlight(), after.failed());
                CompletableFuture<Integer> again = ctx.poll(idle[0], POLLIN);
                write(idle[1], "late");
                out.printf("  a new poll on the same pipe still works: %s%n", events(get(again)));
            }
            return 0;
        } finally {
            for (int fd : fds) {
                LibC.close(fd);
            }
        }
    }

    private static int[] track(List<Integer> fds, int[] made) {
        for (int fd : made) {
            fds.add(fd);
        }
        return made;
    }

    /** Writes all of {@code text} to {@code fd} with write(2): again after EINTR, and after a short write. */
    private static void write(int fd, String text) throws ErrnoException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            long done = 0;
            while (done < bytes.length) {
                long n = LibC.write(fd, buf.asSlice(done), bytes.length - done); // -errno on failure
                if (n == -Errno.EINTR) {
                    continue;
                }
                ErrnoException.check("write", n);
                done += n;
            }
        }
    }

    private static int get(CompletableFuture<Integer> poll) throws Exception {
        return poll.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** The counters, read on the owner thread, so that they are up to date. */
    private static AioMetrics metrics(AioContext ctx) {
        CompletableFuture<AioMetrics> m = new CompletableFuture<>();
        ctx.ownerExecutor().execute(() -> m.complete(ctx.metrics()));
        return m.join();
    }

    /**
     * Waits (at most {@value #TIMEOUT_SECONDS} s) until no request holds a slot: io_cancel answers EINPROGRESS
     * and the kernel posts the cancelled poll's completion a moment later, from a work queue.
     */
    private static AioMetrics awaitIdle(AioContext ctx) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        AioMetrics m = metrics(ctx);
        while (m.inFlight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
            m = metrics(ctx);
        }
        return m;
    }

    /**
     * {@code POLLIN|POLLRDNORM}, say. A poll completed by a wake-up reports the events of that wake-up, which
     * may be more than were asked for (a socket's data wake-up says POLLIN|POLLPRI|POLLRDNORM|POLLRDBAND).
     */
    static String events(int revents) {
        String[] names = {"POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLRDNORM", "POLLRDBAND",
                "POLLWRNORM", "POLLWRBAND", "POLLRDHUP"};
        int[] bits = {AioAbi.POLLIN, AioAbi.POLLPRI, AioAbi.POLLOUT, AioAbi.POLLERR, AioAbi.POLLHUP, AioAbi.POLLNVAL,
                AioAbi.POLLRDNORM, 0x080, AioAbi.POLLWRNORM, 0x200, AioAbi.POLLRDHUP};
        StringJoiner s = new StringJoiner("|");
        int left = revents;
        for (int i = 0; i < bits.length; i++) {
            if ((revents & bits[i]) != 0) {
                s.add(names[i]);
                left &= ~bits[i];
            }
        }
        if (left != 0 || revents == 0) {
            s.add("0x" + Integer.toHexString(left));
        }
        return s.toString();
    }

    public static void main(String[] args) {
        ExampleSupport.main(new PollDemo(), args);
    }
}

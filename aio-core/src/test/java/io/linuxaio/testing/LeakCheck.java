package io.linuxaio.testing;

import io.linuxaio.AioAsynchronousFileChannel;
import io.linuxaio.AioContext;
import io.linuxaio.abi.AioLimits;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leak check of every test class of the project ({@code @ExtendWith(LeakCheck.class)}; other modules
 * get it from aio-core's test jar). After a test class, {@code /proc/sys/fs/aio-nr}, the library's live
 * native memory and the process's open descriptors (jar files and devices aside: class loading and
 * SecureRandom open them for good) are back where they were before it. A class annotated
 * {@link PerTest} also has {@code aio-nr} checked after each of its tests.
 *
 * <p>The default context of {@link AioAsynchronousFileChannel} outlives its last channel by design (for
 * 30 s: its teardown costs 30-40 ms): before each count it is released if no channel uses it
 * ({@link AioAsynchronousFileChannel#releaseDefaultContext()}), so that a channel left open is still a
 * leak and an idle context is not.
 *
 * <p>{@code aio-nr} is system-wide: another process that sets up or destroys AIO contexts at the same
 * time (another build's tests, say) moves it too, so a failure on {@code aio-nr} alone is worth a rerun
 * before it is believed.
 */
public class LeakCheck implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    /** Also checks {@code /proc/sys/fs/aio-nr} after every test of the annotated class (and its subclasses). */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Inherited
    public @interface PerTest {
    }

    static {
        // The JDK opens one socket for good the first time a socket is used: open it before any baseline.
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             java.net.Socket client = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.getLocalPort());
             java.net.Socket accepted = server.accept()) {
            client.getOutputStream().flush();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheck.class);
    private static final String TEST_AIO_NR = "test-aio-nr";

    @Override
    public void beforeAll(ExtensionContext context) {
        AioAsynchronousFileChannel.releaseDefaultContext();
        context.getStore(NS).put("aio-nr", aioNr());
        context.getStore(NS).put("fds", openDescriptors());
        context.getStore(NS).put("native", AioContext.liveNativeBytes());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        AioAsynchronousFileChannel.releaseDefaultContext();
        long aioNr = context.getStore(NS).get("aio-nr", Long.class);
        @SuppressWarnings("unchecked")
        List<String> fds = context.getStore(NS).get("fds", List.class);
        long nativeBytes = context.getStore(NS).get("native", Long.class);
        // event loops that just terminated may still be tearing a context down (from the thread that reports
        // their termination) or closing a channel's descriptor: give them a moment
        List<String> now = openDescriptors();
        long deadline = System.nanoTime() + 3_000_000_000L;
        while ((!added(fds, now).isEmpty() || AioLimits.aioNr() != aioNr || AioContext.liveNativeBytes() != nativeBytes)
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = openDescriptors();
        }
        assertEquals(aioNr, AioLimits.aioNr(), "an AIO context leaked: /proc/sys/fs/aio-nr");
        assertEquals(nativeBytes, AioContext.liveNativeBytes(), "native memory of the library leaked");
        List<String> after = now;
        // a leak is a descriptor opened here and still open; one an earlier class closed meanwhile is none
        List<String> leaked = added(fds, after);
        // the JDK's HttpClient keeps now and then, past its close(), a connection the server has closed (CLOSE_WAIT:
        // the peer's FIN seen, our side open); a server's channels are all closed when its loops shut down
        List<String> halfClosed = socketsIn(leaked, CLOSE_WAIT);
        if (!halfClosed.isEmpty()) {
            System.err.println("LeakCheck: " + context.getDisplayName() + " left sockets its peer had closed (CLOSE_WAIT), "
                    + "not counted as leaks:" + describeSockets(halfClosed));
            leaked.removeAll(halfClosed);
        }
        assertEquals(List.of(), leaked, () -> "descriptors leaked: before " + fds + ", after " + after
                + describeSockets(leaked));
    }

    /** TCP's CLOSE_WAIT, as {@code /proc/net/tcp} writes it. */
    private static final String CLOSE_WAIT = "08";

    /** The sockets of {@code descriptors} that {@code /proc/net/tcp} and {@code tcp6} list in {@code state}. */
    private static List<String> socketsIn(List<String> descriptors, String state) {
        List<String> out = new ArrayList<>();
        forEachSocket(descriptors, f -> {
            if (f[3].equals(state)) {
                out.add("socket:[" + f[9] + "]");
            }
        });
        return out;
    }

    /** Calls {@code row} with the fields of each {@code /proc/net/tcp} and {@code tcp6} row of {@code descriptors}. */
    private static void forEachSocket(List<String> descriptors, java.util.function.Consumer<String[]> row) {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && descriptors.contains("socket:[" + f[9] + "]")) {
                        row.accept(f);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // unreadable: nothing is described, nothing excused
            }
        }
    }

    /**
     * What the kernel says of leaked sockets (from {@code /proc/net/tcp} and {@code tcp6}, by inode): local and
     * remote address and TCP state, which tell a server's accepted socket from a client's.
     */
    private static String describeSockets(List<String> leaked) {
        StringBuilder out = new StringBuilder();
        forEachSocket(leaked, f -> out.append("\n  socket:[").append(f[9]).append("] local ").append(port(f[1]))
                .append(" remote ").append(port(f[2])).append(" state ").append(f[3]));
        return out.toString();
    }

    /** The port of a {@code /proc/net/tcp} address ("0100007F:1F90"), in decimal. */
    private static String port(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon) + ":" + Integer.parseInt(address.substring(colon + 1), 16);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (perTest(context)) {
            AioAsynchronousFileChannel.releaseDefaultContext();
            context.getStore(NS).put(TEST_AIO_NR, aioNr());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest(context)) {
            long before = context.getStore(NS).get(TEST_AIO_NR, Long.class);
            AioAsynchronousFileChannel.releaseDefaultContext();
            long now = AioLimits.aioNr();
            assertEquals(before, now, "the test leaked an AIO context: aio-nr was " + before + ", now " + now);
        }
    }

    private static boolean perTest(ExtensionContext context) {
        return context.getTestClass().map(c -> c.isAnnotationPresent(PerTest.class)).orElse(false);
    }

    private static long aioNr() {
        long n = AioLimits.aioNr();
        assertTrue(n >= 0, "cannot read " + AioLimits.AIO_NR);
        return n;
    }

    /** The descriptors of {@code after} that {@code before} did not have (each target names its inode). */
    private static List<String> added(List<String> before, List<String> after) {
        List<String> left = new java.util.ArrayList<>(before);
        List<String> added = new java.util.ArrayList<>();
        for (String d : after) {
            if (!left.remove(d)) {
                added.add(d);
            }
        }
        return added;
    }

    /** The targets of this process's descriptors, jar files, devices and /proc excluded, sorted. */
    public static List<String> openDescriptors() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (!target.endsWith(".jar") && !target.startsWith("/proc/") && !target.startsWith("/dev/")) {
                        out.add(target);
                    }
                } catch (IOException ignored) {
                    // the descriptor of the listing itself, closed by now
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.sort(null);
        return out;
    }
}

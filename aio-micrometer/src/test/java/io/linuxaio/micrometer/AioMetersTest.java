package io.linuxaio.micrometer;

import io.linuxaio.AioContext;
import io.linuxaio.AioContextGroup;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AioMetersTest {

    @TempDir
    Path dir;

    static double count(MeterRegistry r, String name, String context) {
        FunctionCounter c = r.find(name).tag("context", context).functionCounter();
        assertNotNull(c, name + " of " + context);
        return c.count();
    }

    static double count(MeterRegistry r, String name, String context, String call) {
        return r.get(name).tags("context", context, "call", call).functionCounter().count();
    }

    static double gauge(MeterRegistry r, String name, String context) {
        Gauge g = r.find(name).tag("context", context).gauge();
        assertNotNull(g, name + " of " + context);
        return g.value();
    }

    /** Every meter equals its component of {@code m}. */
    static void assertMatches(MeterRegistry r, String context, AioMetrics m) {
        assertEquals(m.submitted(), count(r, "linuxaio.requests.submitted", context));
        assertEquals(m.completed(), count(r, "linuxaio.requests.completed", context));
        assertEquals(m.failed(), count(r, "linuxaio.requests.failed", context));
        assertEquals(m.bytesRead(), count(r, "linuxaio.bytes.read", context));
        assertEquals(m.bytesWritten(), count(r, "linuxaio.bytes.written", context));
        assertEquals(m.inFlight(), gauge(r, "linuxaio.requests.inflight", context));
        assertEquals(m.queued(), gauge(r, "linuxaio.requests.queued", context));
        assertEquals(m.ringFullWaits(), count(r, "linuxaio.ring.full.waits", context));
        assertEquals(m.fallbacks(), count(r, "linuxaio.requests.fallback", context));
        assertEquals(m.ioSubmitCalls(), count(r, "linuxaio.syscalls", context, "io_submit"));
        assertEquals(m.ioGeteventsCalls(), count(r, "linuxaio.syscalls", context, "io_getevents"));
        assertEquals(m.userReapedEvents(), count(r, "linuxaio.completions.user.reaped", context));
        assertEquals(m.staleCompletions(), count(r, "linuxaio.completions.stale", context));
        assertEquals(m.inlineReads(), count(r, "linuxaio.reads.inline", context));
    }

    @Test
    void metersFollowRealReadsAndWrites() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (AioContext ctx = AioContext.builder().name("meters-test").build()) {
            new AioMeters(ctx, Tags.of("app", "test")).bindTo(registry);
            assertMatches(registry, "meters-test", ctx.metrics());
            assertEquals(0, count(registry, "linuxaio.requests.completed", "meters-test"));

            Path p = dir.resolve("data");
            try (AioFile f = ctx.open(p, READ, WRITE, CREATE)) {
                for (int i = 0; i < 3; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    b.put(0, (byte) i);
                    assertEquals(4096, f.writeAsync(i * 4096L, b).get(10, TimeUnit.SECONDS));
                }
                AioMetrics afterWrites = ctx.metrics();
                assertMatches(registry, "meters-test", afterWrites);
                assertEquals(3, afterWrites.completed());
                assertEquals(3 * 4096, count(registry, "linuxaio.bytes.written", "meters-test"));

                ByteBuffer dst = ByteBuffer.allocateDirect(8192);
                assertEquals(8192, f.readAsync(0, dst).get(10, TimeUnit.SECONDS));
                AioMetrics afterRead = ctx.metrics();
                assertMatches(registry, "meters-test", afterRead);
                assertEquals(afterWrites.completed() + 1, count(registry, "linuxaio.requests.completed", "meters-test"));
                assertEquals(afterWrites.bytesRead() + 8192, count(registry, "linuxaio.bytes.read", "meters-test"));
                assertEquals(0, gauge(registry, "linuxaio.requests.inflight", "meters-test"));
            }
            assertEquals(3 * 4096, Files.size(p));
            assertEquals("test", registry.get("linuxaio.requests.completed").functionCounter().getId().getTag("app"));
            assertTrue(registry.get("linuxaio.native.memory.live").tag("app", "test").gauge().value() > 0);
        }
    }

    @Test
    void aClosedContextsMetersKeepItsLastCounts() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        AioContext ctx = AioContext.builder().name("closed-test").build();
        new AioMeters(ctx).bindTo(registry);
        try (AioFile f = ctx.open(Files.write(dir.resolve("r"), new byte[1000]))) {
            assertEquals(1000, f.readAsync(0, ByteBuffer.allocate(1000)).get(10, TimeUnit.SECONDS));
        }
        ctx.close();
        assertMatches(registry, "closed-test", ctx.metrics());
        assertEquals(1000, count(registry, "linuxaio.bytes.read", "closed-test"));
        // a scrape of every meter of the registry (what a publisher does) does not throw
        registry.getMeters().forEach(m -> m.measure().forEach(ms -> assertTrue(ms.getValue() >= 0)));
    }

    /**
     * The registry does not keep a context reachable: once collected, its counters keep the last count read
     * and its gauges read NaN.
     */
    @Test
    void theRegistryDoesNotKeepAClosedContextReachable() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        WeakReference<AioContext> ref = bindAndClose(registry);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ref.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(null, ref.get(), "the registry kept the closed context reachable");
        assertEquals(0, count(registry, "linuxaio.requests.completed", "collected-test"));
        assertTrue(Double.isNaN(gauge(registry, "linuxaio.requests.inflight", "collected-test")));
    }

    private static WeakReference<AioContext> bindAndClose(MeterRegistry registry) throws Exception {
        AioContext ctx = AioContext.builder().name("collected-test").build();
        new AioMeters(ctx).bindTo(registry);
        ctx.close();
        return new WeakReference<>(ctx);
    }

    @Test
    void aGroupHasTheMetersOfEachContext() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (AioContextGroup group = AioContextGroup.open(2, i -> AioContext.builder().name("g" + i))) {
            new AioMeters(group).bindTo(registry);
            try (AioFile f = group.contexts().get(1).open(Files.write(dir.resolve("g"), new byte[512]))) {
                assertEquals(512, f.readAsync(0, ByteBuffer.allocate(512)).get(10, TimeUnit.SECONDS));
            }
            assertMatches(registry, "g0", group.contexts().get(0).metrics());
            assertMatches(registry, "g1", group.contexts().get(1).metrics());
            assertEquals(0, count(registry, "linuxaio.bytes.read", "g0"));
            assertEquals(512, count(registry, "linuxaio.bytes.read", "g1"));
        }
    }
}

package io.linuxaio.micrometer;

import io.linuxaio.AioContext;
import io.linuxaio.AioMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;

import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * One meter of {@link AioMetrics}: its name, tags, unit, description and the component it reads, and the
 * registration of all of them for one source of metrics. Any thread (registration is the registry's concern).
 *
 * @param name the meter's name
 * @param extraTags tags that tell apart the meters of one name ({@code call=io_submit}, say)
 * @param unit the base unit
 * @param description what it counts
 * @param gauge whether it is a level (gauge) rather than a monotonic count (function counter)
 * @param component the component of {@link AioMetrics} it reads
 */
record AioMeterSpec(String name, Tags extraTags, String unit, String description, boolean gauge,
                    ToLongFunction<AioMetrics> component) {

    /** Every meter of a source, in the order of {@link AioMetrics}' components. */
    static final List<AioMeterSpec> ALL = List.of(
            counter("linuxaio.requests.submitted", "requests", "requests handed to io_submit or to the fallback pool", AioMetrics::submitted),
            counter("linuxaio.requests.completed", "requests", "requests whose future completed normally", AioMetrics::completed),
            counter("linuxaio.requests.failed", "requests", "requests whose future completed exceptionally", AioMetrics::failed),
            counter("linuxaio.bytes.read", BaseUnits.BYTES, "bytes read by completed reads", AioMetrics::bytesRead),
            counter("linuxaio.bytes.written", BaseUnits.BYTES, "bytes written by completed writes", AioMetrics::bytesWritten),
            gauge("linuxaio.requests.inflight", "requests", "requests holding a slot now: batched, in the kernel or in the fallback pool", AioMetrics::inFlight),
            gauge("linuxaio.requests.queued", "requests", "requests waiting for a free slot now", AioMetrics::queued),
            counter("linuxaio.ring.full.waits", BaseUnits.EVENTS, "times a request waited: no free slot, or io_submit answered EAGAIN", AioMetrics::ringFullWaits),
            counter("linuxaio.requests.fallback", "requests", "reads and writes that ran on the blocking fallback pool", AioMetrics::fallbacks),
            new AioMeterSpec("linuxaio.syscalls", Tags.of("call", "io_submit"), "calls", "io_submit system calls", false, AioMetrics::ioSubmitCalls),
            new AioMeterSpec("linuxaio.syscalls", Tags.of("call", "io_getevents"), "calls", "io_getevents system calls", false, AioMetrics::ioGeteventsCalls),
            counter("linuxaio.completions.user.reaped", BaseUnits.EVENTS, "completions read from the mmapped ring without a system call", AioMetrics::userReapedEvents),
            counter("linuxaio.completions.stale", BaseUnits.EVENTS, "completions whose slot generation did not match (never delivered)", AioMetrics::staleCompletions),
            counter("linuxaio.reads.inline", "requests", "buffered reads done from the page cache on the caller's thread", AioMetrics::inlineReads));

    /** The gauge of {@link AioContext#liveNativeBytes()}: one per JVM, whatever the context. */
    static final String NATIVE_MEMORY = "linuxaio.native.memory.live";

    private static AioMeterSpec counter(String name, String unit, String description, ToLongFunction<AioMetrics> c) {
        return new AioMeterSpec(name, Tags.empty(), unit, description, false, c);
    }

    private static AioMeterSpec gauge(String name, String unit, String description, ToLongFunction<AioMetrics> c) {
        return new AioMeterSpec(name, Tags.empty(), unit, description, true, c);
    }

    /**
     * Registers every meter of {@code source} with {@code tags}. The meters hold {@code source} weakly (as
     * Micrometer's function-based meters do): once it is unreachable the counters keep their last count, the
     * gauges read NaN, and nothing is kept alive.
     */
    static <T> void registerAll(MeterRegistry registry, T source, Function<T, AioMetrics> metrics, Tags tags) {
        for (AioMeterSpec s : ALL) {
            Tags all = tags.and(s.extraTags);
            ToLongFunction<AioMetrics> c = s.component;
            if (s.gauge) {
                Gauge.builder(s.name, source, o -> c.applyAsLong(metrics.apply(o)))
                        .tags(all).baseUnit(s.unit).description(s.description).register(registry);
            } else {
                FunctionCounter.builder(s.name, source, o -> c.applyAsLong(metrics.apply(o)))
                        .tags(all).baseUnit(s.unit).description(s.description).register(registry);
            }
        }
    }

    /** Registers the JVM-wide native memory gauge (a second registration with the same tags finds the first). */
    static void registerNativeMemory(MeterRegistry registry, Tags tags) {
        Gauge.builder(NATIVE_MEMORY, AioContext::liveNativeBytes).tags(tags).baseUnit(BaseUnits.BYTES)
                .description("native bytes linux-aio holds now, in every context: arenas, bounce buffers, iovec arrays")
                .strongReference(true).register(registry);
    }
}

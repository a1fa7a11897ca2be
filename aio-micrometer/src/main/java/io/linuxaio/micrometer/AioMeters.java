package io.linuxaio.micrometer;

import io.linuxaio.AioContext;
import io.linuxaio.AioContextGroup;
import io.linuxaio.AioMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.List;
import java.util.Objects;

/**
 * The meters of one {@link AioContext}, or of each context of an {@link AioContextGroup}, tagged
 * {@code context=<the context's name>}; any thread may bind it, and each scrape reads
 * {@link AioContext#metrics()} on the scraping thread.
 *
 * <p>The monotonic counts of {@link AioMetrics} are {@code FunctionCounter}s ({@code linuxaio.requests.submitted},
 * {@code .completed}, {@code .failed}, {@code .fallback}, {@code linuxaio.bytes.read}, {@code .written},
 * {@code linuxaio.ring.full.waits}, {@code linuxaio.syscalls} tagged {@code call=io_submit} or
 * {@code io_getevents}, {@code linuxaio.completions.user.reaped}, {@code .stale}, {@code linuxaio.reads.inline});
 * its levels are gauges ({@code linuxaio.requests.inflight}, {@code .queued}), and so is
 * {@code linuxaio.native.memory.live}, the native bytes of the whole library (no {@code context} tag).
 *
 * <p>The meters hold the context weakly: a closed context's meters keep reading its last counts, and once the
 * context is unreachable the counters keep the last count read and the gauges read NaN. Bind a context once; a second binding finds the meters of the first.
 *
 * <pre>{@code
 * new AioMeters(context).bindTo(registry);
 * }</pre>
 */
public final class AioMeters implements MeterBinder {

    private final List<AioContext> contexts;
    private final Tags tags;

    /**
     * The meters of {@code context}.
     *
     * @param context the context
     */
    public AioMeters(AioContext context) {
        this(context, Tags.empty());
    }

    /**
     * The meters of {@code context}, with {@code tags} besides {@code context}.
     *
     * @param context the context
     * @param tags tags every meter carries (an application's, say)
     */
    public AioMeters(AioContext context, Iterable<Tag> tags) {
        this.contexts = List.of(Objects.requireNonNull(context, "context"));
        this.tags = Tags.of(tags);
    }

    /**
     * The meters of each context of {@code group}, told apart by their {@code context} tag (their names);
     * a query sums them.
     *
     * @param group the contexts
     */
    public AioMeters(AioContextGroup group) {
        this(group, Tags.empty());
    }

    /**
     * The meters of each context of {@code group}, with {@code tags} besides {@code context}.
     *
     * @param group the contexts
     * @param tags tags every meter carries
     */
    public AioMeters(AioContextGroup group, Iterable<Tag> tags) {
        this.contexts = List.copyOf(Objects.requireNonNull(group, "group").contexts());
        this.tags = Tags.of(tags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (AioContext c : contexts) {
            AioMeterSpec.registerAll(registry, c, AioContext::metrics, tags.and("context", c.name()));
        }
        AioMeterSpec.registerNativeMemory(registry, tags);
    }
}

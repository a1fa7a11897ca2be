package io.linuxaio.micrometer;

import io.linuxaio.netty.EpollAio;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;

/**
 * The meters of the contexts of a Netty loop group ({@link EpollAio}), the same as {@link AioMeters}'s, tagged
 * {@code context=<the given name>} and {@code loop}: {@code loop=all} for the sums over the loops
 * ({@link EpollAio#metrics()}), {@code loop=0}, {@code 1}, ... for each loop, in the group's order
 * ({@link EpollAio#metrics(io.netty.channel.EventLoop)}). Aggregate either {@code loop=all} or the others,
 * not both. Any thread may bind it; each scrape reads the counters on the scraping thread.
 *
 * <p>A loop's meters read zero until its context is created (a scrape never creates one). The meters hold
 * the {@code EpollAio} weakly. Needs aio-netty on the class or module path.
 *
 * <pre>{@code
 * new EpollAioMeters(aio, "http").bindTo(registry);
 * }</pre>
 */
public final class EpollAioMeters implements MeterBinder {

    private final EpollAio aio;
    private final String name;
    private final Tags tags;

    /**
     * The meters of {@code aio}'s contexts.
     *
     * @param aio the contexts of a loop group
     * @param name the value of the {@code context} tag
     */
    public EpollAioMeters(EpollAio aio, String name) {
        this(aio, name, Tags.empty());
    }

    /**
     * The meters of {@code aio}'s contexts, with {@code tags} besides {@code context} and {@code loop}.
     *
     * @param aio the contexts of a loop group
     * @param name the value of the {@code context} tag
     * @param tags tags every meter carries
     */
    public EpollAioMeters(EpollAio aio, String name, Iterable<Tag> tags) {
        this.aio = Objects.requireNonNull(aio, "aio");
        this.name = Objects.requireNonNull(name, "name");
        this.tags = Tags.of(tags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags context = tags.and("context", name);
        AioMeterSpec.registerAll(registry, aio, EpollAio::metrics, context.and("loop", "all"));
        int loops = aio.loops().size();
        for (int i = 0; i < loops; i++) {
            int loop = i; // by index, so that the registry keeps no loop alive
            AioMeterSpec.registerAll(registry, aio, a -> a.metrics(a.loops().get(loop)), context.and("loop", Integer.toString(loop)));
        }
        AioMeterSpec.registerNativeMemory(registry, tags);
    }
}

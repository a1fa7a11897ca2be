/**
 * Micrometer {@code MeterBinder}s that expose the counters of {@link io.linuxaio.AioMetrics} as
 * {@code FunctionCounter}s and its levels as {@code Gauge}s, read from the context at each scrape.
 *
 * <pre>{@code
 * new AioMeters(context).bindTo(registry);
 * }</pre>
 */
package io.linuxaio.micrometer;

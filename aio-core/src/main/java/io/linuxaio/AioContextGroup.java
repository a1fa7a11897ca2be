package io.linuxaio;

import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Several contexts, each with an owner thread of its own, so that an application without Netty uses
 * every core: one context is one owner thread, and one owner thread runs on one core at a time. Files
 * opened through the group go to its contexts in turn (requests spread by file); {@link #forCurrentThread()}
 * gives each calling thread the same context every time (requests spread by caller). What Netty gives with
 * one context per event loop ({@code EpollAio}), without Netty. Any thread may call every method.
 *
 * <pre>{@code
 * try (AioContextGroup group = AioContextGroup.open()) {      // one context per available processor
 *     AioFile a = group.open(pathA), b = group.open(pathB);     // on two owners
 *     ...
 * }
 * }</pre>
 */
public final class AioContextGroup implements AutoCloseable {

    private final List<AioContext> contexts;
    private final AtomicInteger next = new AtomicInteger();

    private AioContextGroup(List<AioContext> contexts) {
        this.contexts = List.copyOf(contexts);
    }

    /**
     * One context of the default settings per available processor.
     *
     * @return the new group; close it when done
     * @throws IOException when the kernel refuses a context ({@code aio-max-nr} exhausted, say)
     */
    public static AioContextGroup open() throws IOException {
        return open(Runtime.getRuntime().availableProcessors(), i -> AioContext.builder());
    }

    /**
     * {@code size} contexts, context {@code i} made from {@code builders.apply(i)} (named "linux-aio-i" unless
     * the builder names it). If one cannot be made, those made already are closed.
     *
     * @param size the number of contexts
     * @param builders the builder of each context, by index
     * @return the new group; close it when done
     * @throws IllegalArgumentException when {@code size} is not positive
     * @throws IOException when the kernel refuses a context ({@code aio-max-nr} exhausted, say)
     */
    public static AioContextGroup open(int size, IntFunction<AioContext.Builder> builders) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("a group needs at least one context, not " + size);
        }
        Objects.requireNonNull(builders, "builders");
        List<AioContext> made = new ArrayList<>(size);
        try {
            for (int i = 0; i < size; i++) {
                AioContext.Builder b = Objects.requireNonNull(builders.apply(i), "the builder of context " + i);
                made.add(b.nameIfUnset("linux-aio-" + i).build());
            }
        } catch (IOException | RuntimeException e) {
            for (AioContext c : made) {
                c.close();
            }
            throw e;
        }
        return new AioContextGroup(made);
    }

    /** {@return the group's contexts, in order} */
    public List<AioContext> contexts() {
        return contexts;
    }

    /** {@return the number of contexts} */
    public int size() {
        return contexts.size();
    }

    /** {@return the next context in turn} */
    public AioContext next() {
        return contexts.get(Math.floorMod(next.getAndIncrement(), contexts.size()));
    }

    /**
     * {@return the calling thread's context: the same one on every call from a thread (so that one thread's
     * requests keep their order through one owner), the threads spread over the contexts}
     */
    public AioContext forCurrentThread() {
        return contexts.get((int) Math.floorMod(Thread.currentThread().threadId(), (long) contexts.size()));
    }

    /**
     * Opens a file on the {@link #next()} context: a group's files spread over its owners. Blocks while
     * the kernel opens the file (see {@link AioContext#open}).
     *
     * @param path the file
     * @param options as for {@link AioContext#open}
     * @return the open file; close it when done
     * @throws IOException when the file cannot be opened, as {@link AioContext#open} throws
     */
    public AioFile open(Path path, OpenOption... options) throws IOException {
        return next().open(path, options);
    }

    /** {@return the sums of the contexts' counters} A snapshot that may lag a little. */
    public AioMetrics metrics() {
        AioMetrics sum = AioMetrics.ZERO;
        for (AioContext c : contexts) {
            sum = sum.plus(c.metrics());
        }
        return sum;
    }

    /** Closes every context (see {@link AioContext#close()}). Idempotent. */
    @Override
    public void close() {
        for (AioContext c : contexts) {
            c.close();
        }
    }

    @Override
    public String toString() {
        return "AioContextGroup" + contexts;
    }
}

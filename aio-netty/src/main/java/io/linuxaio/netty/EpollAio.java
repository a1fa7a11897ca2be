package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.linuxaio.spi.AioDriver;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Linux AIO on Netty epoll event loops: one {@link AioContext} per loop, whose eventfd is registered with
 * the loop, so that every future of the context completes on that loop's thread and the loop never
 * blocks on disk.
 *
 * <p>Requests made on the loop thread go into the loop's current batch and reach the kernel in one
 * {@code io_submit} when the loop's current task ends; requests from other threads are handed to the loop.
 *
 * <p>The loops must run Netty's epoll transport ({@code new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory())}
 * or the legacy {@code EpollEventLoopGroup}) or its io_uring transport ({@code IoUringIoHandler.newFactory()}):
 * the glue is chosen from the loop's handler. Any thread may call every method.
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
 * try (EpollAio aio = EpollAio.create(group)) {
 *     // in a channel handler: completes on this channel's loop
 *     AioFile file = aio.open(ctx.channel().eventLoop(), path);
 *     file.readAsync(0, buffer).thenAccept(n -> ctx.writeAndFlush(...));
 * }
 * }</pre>
 */
public final class EpollAio implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpollAio.class);

    private final EventLoopGroup group;
    private final Supplier<AioContext.Builder> builder;
    private final Map<EventExecutor, AioContext> contexts = new ConcurrentHashMap<>();
    /** Loops whose context could not be created, so that the cause is logged once. */
    private final Set<EventExecutor> failedLoops = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EpollAio(EventLoopGroup group, Supplier<AioContext.Builder> builder) {
        this.group = group;
        this.builder = builder;
    }

    /**
     * Contexts of the default settings, one per loop of {@code group}, created on first use.
     *
     * @param group a group of epoll loops
     * @return the contexts' holder; close it before shutting the group down
     * @throws IllegalArgumentException when the group's loops do not run the epoll transport
     */
    public static EpollAio create(EventLoopGroup group) {
        return create(group, AioContext::builder);
    }

    /**
     * Contexts made by {@code builder} (called once per loop), one per loop of {@code group}.
     *
     * @param group a group of epoll loops
     * @param builder makes the settings of each loop's context
     * @return the contexts' holder; close it before shutting the group down
     * @throws IllegalArgumentException when the group's loops do not run the epoll transport
     */
    public static EpollAio create(EventLoopGroup group, Supplier<AioContext.Builder> builder) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(builder, "builder");
        checkEpoll(group.next());
        return new EpollAio(group, builder);
    }

    /**
     * Binds one new context to {@code loop}: its eventfd is registered with the loop, its futures complete
     * on the loop thread. The caller owns the context and closes it; if the loop terminates first, the
     * context is torn down with it. Off the loop it waits for the registration.
     *
     * @param loop an epoll loop
     * @param builder the context's settings
     * @return the new context
     * @throws IllegalArgumentException when the loop does not run the epoll transport
     * @throws IOException when the kernel refuses the context, or the loop refuses the registration
     */
    public static AioContext bind(EventLoop loop, AioContext.Builder builder) throws IOException {
        IoEventLoop ioLoop = checkEpoll(loop);
        boolean epoll = ioLoop.isCompatible(EpollAioHandle.class);
        EpollAioHandle epollHandle = epoll ? new EpollAioHandle(ioLoop) : null;
        IoUringAioHandle uringHandle = epoll ? null : new IoUringAioHandle(ioLoop);
        AioDriver driver = AioDriver.create(builder, epoll ? epollHandle : uringHandle);
        try {
            // on the loop thread the registration completes at once; elsewhere we wait for it
            if (epoll) {
                epollHandle.attach(driver);
                IoRegistration registration = ioLoop.register(epollHandle).get();
                epollHandle.registered(registration);
                registration.submit(EpollIoOps.EPOLLIN);
            } else {
                uringHandle.attach(driver);
                uringHandle.registered(ioLoop.register(uringHandle).get()); // arms a poll on the eventfd
            }
            // Netty 4.2 closes registered handles on one shutdown path only: a loop that terminates without
            // closing this one (a zero quiet period while busy) still tears the context down, from the
            // thread that reports the termination (the loop runs no more tasks then)
            ioLoop.terminationFuture().addListener(done -> driver.abandon("the event loop " + loop + " shut down"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonOnLoop(ioLoop, driver, "interrupted while registering with " + loop);
            throw new IOException("interrupted while registering the AIO eventfd with " + loop, e);
        } catch (ExecutionException | RuntimeException e) {
            abandonOnLoop(ioLoop, driver, "the registration with " + loop + " failed");
            throw new IOException("cannot register the AIO eventfd with " + loop, e instanceof ExecutionException ? e.getCause() : e);
        }
        return driver.context();
    }

    /**
     * Tears {@code driver}'s context down on its loop, so that the epoll registration is cancelled before the
     * eventfd is closed (off the loop, Netty defers the cancellation and the descriptor number could be
     * reused in between).
     */
    private static void abandonOnLoop(IoEventLoop loop, AioDriver driver, String reason) {
        if (loop.inEventLoop()) {
            driver.abandon(reason);
            return;
        }
        try {
            loop.submit(() -> driver.abandon(reason)).awaitUninterruptibly();
        } catch (RejectedExecutionException e) {
            driver.abandon(reason); // the loop is gone, and its epoll instance with it
        }
        driver.abandon(reason); // no-op when the loop did it
    }

    /** The loop, if it runs a transport the glue knows: epoll, or io_uring. */
    private static IoEventLoop checkEpoll(EventExecutor executor) {
        if (executor instanceof IoEventLoop loop
                && (loop.isCompatible(EpollAioHandle.class) || loop.isCompatible(IoUringAioHandle.class))) {
            return loop;
        }
        throw new IllegalArgumentException("Linux AIO needs a Netty epoll or io_uring event loop "
                + "(MultiThreadIoEventLoopGroup with EpollIoHandler.newFactory() or IoUringIoHandler.newFactory(), "
                + "or EpollEventLoopGroup); " + executor.getClass().getName()
                + " runs neither (a NIO loop cannot watch the AIO eventfd)");
    }

    /**
     * The context of {@code loop} (a loop of this group), created on first use.
     *
     * @param loop a loop of this group
     * @return its context
     * @throws IllegalArgumentException when {@code loop} is not a loop of this group
     * @throws IllegalStateException when this {@code EpollAio} is closed
     * @throws UncheckedIOException when the kernel refuses the context ({@code fs.aio-max-nr} exhausted, say);
     *         the first failure on a loop is logged, and each later call tries again
     */
    public AioContext context(EventLoop loop) {
        if (closed) {
            throw new IllegalStateException("this EpollAio is closed");
        }
        Objects.requireNonNull(loop, "loop");
        if (loop.parent() != group && !(group instanceof IoEventLoop && group == loop)) {
            throw new IllegalArgumentException(loop + " is not a loop of " + group);
        }
        AioContext context = contexts.get(loop);
        if (context != null) {
            return context;
        }
        // not computeIfAbsent: binding waits for the loop, and the loop may be asking for its context too
        try {
            context = bind(loop, builder.get().name("linux-aio-" + loop));
        } catch (IOException e) {
            // every request on this loop meets it until the cause goes away: say it once, not per request
            if (failedLoops.add(loop)) {
                LOG.error("cannot create the AIO context of {}: requests on it fail until this is solved", loop, e);
            }
            throw new UncheckedIOException(e);
        }
        if (failedLoops.remove(loop)) {
            LOG.info("the AIO context of {} was created after all", loop);
        }
        AioContext raced = contexts.putIfAbsent(loop, context);
        if (raced != null) {
            context.close();
            return raced;
        }
        if (closed) {
            contexts.remove(loop, context);
            context.close();
            throw new IllegalStateException("this EpollAio is closed");
        }
        return context;
    }

    /**
     * Creates the context of every loop of the group now rather than on first use, so that no loop pays
     * for an {@code io_setup} while serving its first request. Call it off the loops (it waits for each
     * loop to register its eventfd).
     *
     * @return this
     * @throws UncheckedIOException when the kernel refuses a context
     */
    public EpollAio bindAll() {
        for (EventExecutor e : group) {
            context((EventLoop) e);
        }
        return this;
    }

    /**
     * {@return the context of the calling thread's loop when called on a loop of this group (so a channel
     * handler's file I/O completes on its own channel's loop), else the context of the group's next loop}
     */
    public AioContext current() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return context((EventLoop) e);
            }
        }
        return context((EventLoop) group.next());
    }

    /**
     * Opens {@code path} on {@link #current()}'s context. Blocks while the kernel opens the file: on a loop,
     * use {@code current().openAsync(...)}.
     *
     * @param path the file
     * @param options as for {@link AioContext#open}
     * @return the open file; close it when done
     * @throws IOException when the file cannot be opened, as {@link AioContext#open} throws
     */
    public AioFile open(Path path, OpenOption... options) throws IOException {
        return current().open(path, options);
    }

    /**
     * Opens {@code path} on {@code loop}'s context. Blocks while the kernel opens the file.
     *
     * @param loop a loop of this group, whose thread completes the file's futures
     * @param path the file
     * @param options as for {@link AioContext#open}
     * @return the open file; close it when done
     * @throws IOException when the file cannot be opened, as {@link AioContext#open} throws
     */
    public AioFile open(EventLoop loop, Path path, OpenOption... options) throws IOException {
        return context(loop).open(path, options);
    }

    /**
     * {@code path} opened once per loop of the group, lazily: a channel's requests then run on its own
     * loop's context and complete on its own loop (see {@link PerLoopFile}). Never blocks.
     *
     * @param path the file
     * @param options as for {@link AioContext#open}
     * @return the files of {@code path}, one per loop, none opened yet; close it when done
     * @throws IllegalStateException when this {@code EpollAio} is closed
     */
    public PerLoopFile perLoop(Path path, OpenOption... options) {
        if (closed) {
            throw new IllegalStateException("this EpollAio is closed");
        }
        return new PerLoopFile(this, path, options);
    }

    /**
     * {@return the sums of the counters of the loops' contexts created so far} A loop whose context is not
     * created yet counts zero; a closed context keeps its counts in the sums, so the counts (not the levels:
     * in flight, queued) never decrease.
     * Any thread (a snapshot that may lag a little).
     */
    public AioMetrics metrics() {
        AioMetrics sum = AioMetrics.ZERO;
        for (AioContext c : contexts.values()) {
            sum = sum.plus(c.metrics());
        }
        return sum;
    }

    /**
     * {@return the counters of {@code loop}'s context, or {@link AioMetrics#ZERO} while it is not created}
     * Never creates the context (a metrics scrape does not cost an {@code io_setup}). Any thread.
     *
     * @param loop a loop of this group
     */
    public AioMetrics metrics(EventLoop loop) {
        AioContext c = contexts.get(Objects.requireNonNull(loop, "loop"));
        return c == null ? AioMetrics.ZERO : c.metrics();
    }

    /** {@return the loops of the group, in the group's order} Any thread. */
    public List<EventLoop> loops() {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            loops.add((EventLoop) e);
        }
        return loops;
    }

    /** Closes every context (waiting for their requests when called off their loops). */
    @Override
    public void close() {
        closed = true;
        for (AioContext c : contexts.values()) {
            c.close();
        }
    }
}

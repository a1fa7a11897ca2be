package io.linuxaio.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP connection whose client is too slow, with nginx's three timeouts: reading a request head
 * ({@code client_header_timeout}, from the connection's start or the first byte of a request), waiting for
 * the next request on an idle keep-alive connection ({@code keepalive_timeout}), and a response that makes no
 * progress ({@code send_timeout}: no write reached the socket for that long). A head trickled a byte a second
 * is cut off when its time is up, whatever the bytes. A zero duration turns a timeout off.
 *
 * <p>Place it before the HTTP codec (it sees bytes); the {@link AioHttpFileHandler} of the same pipeline tells
 * it when a request head has arrived and when the connection is idle. On a connection that became HTTP/2 the
 * streams tell it instead: the keep-alive timeout runs while no stream is open (nginx's http2 idle timeout),
 * whatever other frames arrive, and ends the connection through the pipeline, so that the frame codec sends
 * GOAWAY before closing; a stream in progress, however slow, is never cut by it (the send timeout still
 * applies); there is no request head to time. One instance per channel; touched only
 * on the channel's event loop. The timer of a connection is rescheduled only when it fires, never per request.
 */
public final class HttpTimeouts extends ChannelDuplexHandler implements ChannelFutureListener {

    /** nginx's default {@code client_header_timeout}: 60 s to read a request head. */
    public static final Duration DEFAULT_HEADER = Duration.ofSeconds(60);
    /** nginx's default {@code keepalive_timeout}: 75 s of waiting for the next request. */
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(75);
    /** nginx's default {@code send_timeout}: 60 s of a response without progress. */
    public static final Duration DEFAULT_SEND = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(HttpTimeouts.class);
    private static final int HEADER = 0;
    private static final int BUSY = 1;
    private static final int IDLE = 2;

    private final long headerNanos;
    private final long keepAliveNanos;
    private final long sendNanos;
    /** The shortest timeout: a timer never waits longer, so that it fires before any deadline set meanwhile. */
    private final long stepNanos;
    private ChannelHandlerContext ctx;
    private int state = HEADER;
    private boolean http2;
    private long since;
    private int writesPending;
    private long lastProgress;
    private ScheduledFuture<?> timer;

    /** nginx's defaults: 60 s for a request head, 75 s of keep-alive, 60 s without send progress. */
    public HttpTimeouts() {
        this(DEFAULT_HEADER, DEFAULT_KEEP_ALIVE, DEFAULT_SEND);
    }

    /**
     * The given timeouts; a zero or negative duration turns that one off.
     *
     * @param header the longest time to read a request head, from the connection's start or a request's first
     *               byte
     * @param keepAlive the longest time an idle keep-alive connection waits for its next request
     * @param send the longest time a response may go without a write reaching the socket
     */
    public HttpTimeouts(Duration header, Duration keepAlive, Duration send) {
        this.headerNanos = nanos(header);
        this.keepAliveNanos = nanos(keepAlive);
        this.sendNanos = nanos(send);
        this.stepNanos = Math.min(headerNanos, Math.min(keepAliveNanos, sendNanos));
    }

    private static long nanos(Duration d) {
        return d.isZero() || d.isNegative() ? Long.MAX_VALUE : d.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        since = System.nanoTime();
        if (ctx.channel().isActive()) {
            arm();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        since = System.nanoTime();
        arm();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!http2 && state == IDLE && msg instanceof ByteBuf b && b.isReadable()) {
            state = HEADER; // the first byte of the next request: its head has the header timeout
            since = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        sendStarted();
        ctx.write(msg, promise.unvoid().addListener(this));
    }

    /** A write reached the socket (or failed). */
    @Override
    public void operationComplete(ChannelFuture future) {
        sendEnded();
    }

    /**
     * A write starts, of this pipeline's or of a body that goes out another way (a {@code sendfile} made on the
     * blocking pool, {@link PooledSendfile}): the send timeout runs from now while any is in flight.
     */
    void sendStarted() {
        if (writesPending++ == 0) {
            lastProgress = System.nanoTime();
            arm();
        }
    }

    /** Bytes of a body sent another way reached the socket. */
    void sendProgressed() {
        lastProgress = System.nanoTime();
    }

    /** A write reached the socket, or failed. */
    void sendEnded() {
        writesPending--;
        lastProgress = System.nanoTime();
    }

    /**
     * The connection became HTTP/2: what it reads are frames, not request heads, and {@link #requestReceived()} and
     * {@link #idle()} now say that a stream opened and that none is open.
     */
    void http2() {
        http2 = true;
    }

    /** A request head has arrived: reading is not timed until the connection is idle again. */
    void requestReceived() {
        state = BUSY;
    }

    /** Every request is answered: the connection waits for the next one. */
    void idle() {
        state = IDLE;
        since = System.nanoTime();
        arm();
    }

    private long deadline() {
        long read = switch (state) {
            case HEADER -> headerNanos == Long.MAX_VALUE ? Long.MAX_VALUE : since + headerNanos;
            case IDLE -> keepAliveNanos == Long.MAX_VALUE ? Long.MAX_VALUE : since + keepAliveNanos;
            default -> Long.MAX_VALUE;
        };
        long write = writesPending == 0 || sendNanos == Long.MAX_VALUE ? Long.MAX_VALUE : lastProgress + sendNanos;
        return Math.min(read, write);
    }

    private void arm() {
        if (timer == null && stepNanos != Long.MAX_VALUE && deadline() != Long.MAX_VALUE && ctx != null) {
            timer = ctx.executor().schedule(this::check, stepNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long deadline = deadline();
        if (deadline == Long.MAX_VALUE) {
            return; // armed again by the next event that sets one
        }
        long now = System.nanoTime();
        if (now - deadline >= 0) {
            boolean stalled = writesPending > 0 && lastProgress + sendNanos - now <= 0;
            LOG.debug("closing {}: {}", ctx.channel(), stalled ? "the client stopped reading the response"
                    : state == IDLE ? "idle keep-alive connection" : "the request head did not arrive in time");
            if (http2 && !stalled) {
                ctx.channel().close(); // through the frame codec: GOAWAY, then the close (no stream is open)
            } else {
                ctx.close();
            }
            return;
        }
        timer = ctx.executor().schedule(this::check, Math.min(deadline - now, stepNanos), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}

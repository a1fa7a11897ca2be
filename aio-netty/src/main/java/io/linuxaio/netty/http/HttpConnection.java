package io.linuxaio.netty.http;

import io.linuxaio.AioContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContentEncoder;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The state of one connection of an {@link AioHttpFileHandler}: requests are answered one at a time, in
 * order; pipelined ones wait in a queue. When {@value #MAX_QUEUED} wait, or the channel is not writable
 * (a client that does not read its responses), the connection stops reading until they are answered, so
 * that neither requests nor responses pile up in memory. A client's half-close ends the connection once
 * the requests already received are answered. Touched only on the channel's event loop.
 */
final class HttpConnection {

    static final AttributeKey<HttpConnection> KEY = AttributeKey.valueOf(HttpConnection.class, "connection");
    /** Pipelined requests held before the connection stops reading. */
    static final int MAX_QUEUED = 16;
    /** Requests answered in one call chain before the rest are handed to the loop (bounds the stack). */
    private static final int MAX_DEPTH = 16;
    /** How long a connection refused mid-request still reads (and drops) what the client sends. */
    private static final long LINGER_MILLIS = 2000;

    private final AioHttpFileHandler handler;
    private final ChannelHandlerContext ctx;
    private final ArrayDeque<HttpRequest> queued = new ArrayDeque<>();
    private final HttpTimeouts timeouts;
    private boolean busy;
    private boolean paused;
    private boolean inputShutdown;
    private int depth;
    private int compressor; // 0 not looked up yet, 1 present, -1 absent
    /** The request being answered. */
    private HttpRequest request;
    private boolean keepAlive;
    private boolean linger;

    HttpConnection(AioHttpFileHandler handler, ChannelHandlerContext ctx) {
        this.handler = handler;
        this.ctx = ctx;
        this.timeouts = ctx.pipeline().get(HttpTimeouts.class);
    }

    Channel channel() {
        return ctx.channel();
    }

    void received(HttpRequest r) {
        if (timeouts != null) {
            timeouts.requestReceived();
        }
        if (busy || !queued.isEmpty() || !ctx.channel().isWritable()) {
            queued.addLast(r);
            if (queued.size() >= MAX_QUEUED && !paused) {
                paused = true;
                ctx.channel().config().setAutoRead(false);
            }
            if (!busy && ctx.channel().isWritable()) {
                next();
            }
            return;
        }
        start(r);
    }

    /** The client will send nothing more: close once every request received is answered. */
    void inputShutdown() {
        inputShutdown = true;
        if (!busy && queued.isEmpty()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE); // after what is pending
        }
    }

    void writabilityChanged() {
        if (!busy && !queued.isEmpty() && ctx.channel().isWritable()) {
            next();
        }
    }

    void inactive() {
        queued.clear();
    }

    private void start(HttpRequest r) {
        busy = true;
        request = r;
        keepAlive = HttpUtil.isKeepAlive(r);
        depth++;
        try {
            handler.serve(this, ctx, r);
        } finally {
            depth--;
        }
    }

    private void next() {
        busy = false;
        request = null;
        if (queued.isEmpty() && timeouts != null) {
            timeouts.idle();
        }
        if (paused && queued.size() <= MAX_QUEUED / 2) {
            paused = false;
            if (!inputShutdown) {
                // after a half-close Netty 4.2.18 has taken the descriptor out of epoll: reading again fails (ENOENT)
                ctx.channel().config().setAutoRead(true);
            }
        }
        if (queued.isEmpty() || !ctx.channel().isWritable()) {
            return; // writabilityChanged() goes on
        }
        if (depth >= MAX_DEPTH) {
            busy = true; // held until the task runs
            ctx.executor().execute(() -> {
                busy = false;
                next();
            });
            return;
        }
        start(queued.pollFirst());
    }

    /** The request's answer is written: the last content, then the next request or the close. */
    void finish() {
        ChannelFuture f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        done(f);
    }

    private void done(ChannelFuture f) {
        if (!keepAlive || (inputShutdown && queued.isEmpty())) {
            f.addListener(linger && !inputShutdown ? (ChannelFutureListener) this::lingerClose : ChannelFutureListener.CLOSE);
            queued.clear();
            return;
        }
        next();
    }

    /** The response head, with {@code Date} and the connection's fate; the future of its write. */
    ChannelFuture writeHead(HttpResponse response) {
        prepare(response);
        return ctx.write(response);
    }

    /** Whether bodies the page cache does not hold whole go out with sendfile on the blocking pool. */
    boolean pooledSendfile() {
        return handler.pooledSendfile();
    }

    /** The connection's timeouts, or null when its pipeline has none. */
    HttpTimeouts timeouts() {
        return timeouts;
    }

    /** Sends a whole response (its own length set unless it is a 304) and goes on with the next request. */
    void send(FullHttpResponse response) {
        if (response.status().code() != 304) {
            HttpUtil.setContentLength(response, response.content().readableBytes());
        }
        prepare(response);
        done(ctx.writeAndFlush(response));
    }

    void sendError(HttpResponseStatus status) {
        send(error(status));
    }

    /** Refuses a request after which the connection cannot go on (it could not be parsed). */
    void sendErrorAndClose(HttpResponseStatus status) {
        keepAlive = false;
        linger = true;
        sendError(status);
    }

    /**
     * Ends the output but reads on for a while before closing, as nginx's lingering close: closing with
     * unread input sends a reset, which can destroy the response before the client reads it.
     */
    private void lingerClose(ChannelFuture written) {
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !written.isSuccess()) {
            ctx.close();
            return;
        }
        busy = false;
        inputShutdown = true; // the client's FIN closes at once
        duplex.shutdownOutput();
        ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    FullHttpResponse error(HttpResponseStatus status) {
        boolean head = request != null && HttpMethod.HEAD.equals(request.method());
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(status + "\r\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return r;
    }

    private void prepare(HttpResponse response) {
        response.headers().set(HttpHeaderNames.DATE, HttpDates.now());
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request != null && request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // an HTTP/1.0 client keeps the connection only when told so
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /**
     * Whether a Netty {@link HttpContentEncoder} (a compressor) sits in the pipeline; looked up once. When one
     * does, a handler that takes the {@code identity} mark off file responses goes in behind it, so that the
     * mark which makes the compressor pass them through never reaches the client.
     */
    boolean compressorInPipeline() {
        if (compressor == 0) {
            ChannelHandlerContext encoder = ctx.pipeline().context(HttpContentEncoder.class);
            compressor = encoder == null ? -1 : 1;
            if (encoder != null) {
                ctx.pipeline().addBefore(encoder.name(), null, IDENTITY_REMOVER);
            }
        }
        return compressor > 0;
    }

    private static final ChannelOutboundHandlerAdapter IDENTITY_REMOVER = new IdentityRemover();

    @ChannelHandler.Sharable
    private static final class IdentityRemover extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse r
                    && HttpHeaderValues.IDENTITY.contentEqualsIgnoreCase(r.headers().get(HttpHeaderNames.CONTENT_ENCODING))) {
                r.headers().remove(HttpHeaderNames.CONTENT_ENCODING);
            }
            ctx.write(msg, promise);
        }
    }

    /** Runs {@code r} on the channel's loop: at once when called there. */
    void onLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }

    /** The context of this channel's loop, or null (answered 503) when the loop has none. */
    AioContext context() {
        return handler.context(ctx);
    }
}

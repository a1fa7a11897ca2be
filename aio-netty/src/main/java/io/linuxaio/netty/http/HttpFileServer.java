package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Binds an HTTP/1.1 server on Netty epoll loops, with cleartext HTTP/2 as an option ({@link Options#http2()}). A file server's connections get {@link HttpTimeouts},
 * Netty's {@link HttpServerCodec} (with the limits of {@link Options}) and one shared
 * {@link AioHttpFileHandler}; other servers' get the codec, an {@link HttpObjectAggregator} of
 * {@value #MAX_REQUEST_LENGTH} bytes, then the handlers given. A client's half-close is allowed (its requests
 * are still answered). When the process runs out of descriptors, accepting pauses (Netty retries every second),
 * the shortage is logged once, and the connections already open go on being served.
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
 * EpollAio aio = EpollAio.create(group);
 * Channel server = HttpFileServer.bind(group, aio, Path.of("/var/www"), "127.0.0.1", 8080);
 * }</pre>
 *
 * <p>Threading: call the {@code bind} methods from any thread but the group's loops (they wait for the
 * loops); the handlers of a connection are added and run on its loop. Closing the returned channel stops
 * the server; the group and the {@code EpollAio} stay the caller's to close.
 */
public final class HttpFileServer {

    private static final Logger LOG = LoggerFactory.getLogger(HttpFileServer.class);

    /**
     * How many requests the codec of a file server's connection may have read and not yet answered. Netty's
     * default is 128, and a client that pipelines more in one go had its connection closed. A connection stops
     * reading once {@value HttpConnection#MAX_QUEUED} requests wait, so it holds no more than one read buffer
     * of requests beyond those (about 3,600 of the smallest in 64 KiB); past this depth it is closed.
     */
    public static final int MAX_PIPELINE_DEPTH = 8192;

    /** The largest request body the aggregator of {@link #bind(EventLoopGroup, String, int, Handlers)} accepts: 64 KiB (413 past it). */
    public static final int MAX_REQUEST_LENGTH = 64 * 1024;

    /**
     * The limits of a file server's connections.
     *
     * @param maxRequestLine the longest request line (414 past it)
     * @param maxHeaderBlock the largest block of header fields (431 past it)
     * @param headerTimeout the longest time to read a request head ({@link HttpTimeouts}; zero: none)
     * @param keepAliveTimeout the longest time an idle keep-alive connection waits for its next request
     *                         ({@link HttpTimeouts}; zero: none)
     * @param sendTimeout the longest time a response may go without a write reaching the socket
     *                    ({@link HttpTimeouts}; zero: none)
     * @param http2 whether cleartext HTTP/2 (h2c) is served too, to a client that opens with the HTTP/2 preface
     *        (prior knowledge) or asks for {@code Upgrade: h2c}; each stream is one request of the handler. An
     *        HTTP/2 connection keeps the keep-alive timeout (while it has no open stream: GOAWAY, then the close)
     *        and the send timeout.
     */
    public record Options(int maxRequestLine, int maxHeaderBlock, Duration headerTimeout, Duration keepAliveTimeout,
                          Duration sendTimeout, boolean http2) {
        /** 8 KiB of request line (RFC 9112 asks for 8000 at least), 32 KiB of header fields, nginx's timeouts, HTTP/1.1 only. */
        public static final Options DEFAULT = new Options(8192, 32 * 1024, HttpTimeouts.DEFAULT_HEADER,
                HttpTimeouts.DEFAULT_KEEP_ALIVE, HttpTimeouts.DEFAULT_SEND, false);

        /**
         * Checks the limits.
         *
         * @param maxRequestLine the longest request line (414 past it)
         * @param maxHeaderBlock the largest block of header fields (431 past it)
         * @param headerTimeout the longest time to read a request head (zero: none)
         * @param keepAliveTimeout the longest time an idle keep-alive connection waits for its next request
         *                         (zero: none)
         * @param sendTimeout the longest time a response may go without a write reaching the socket (zero: none)
         * @param http2 whether cleartext HTTP/2 is served too
         * @throws IllegalArgumentException when {@code maxRequestLine} or {@code maxHeaderBlock} is not positive
         * @throws NullPointerException when a timeout is null
         */
        public Options {
            if (maxRequestLine <= 0 || maxHeaderBlock <= 0) {
                throw new IllegalArgumentException("limits must be positive: " + maxRequestLine + ", " + maxHeaderBlock);
            }
            Objects.requireNonNull(headerTimeout, "headerTimeout");
            Objects.requireNonNull(keepAliveTimeout, "keepAliveTimeout");
            Objects.requireNonNull(sendTimeout, "sendTimeout");
        }

        /**
         * Options for HTTP/1.1 only.
         *
         * @param maxRequestLine the longest request line (414 past it)
         * @param maxHeaderBlock the largest block of header fields (431 past it)
         * @param headerTimeout the longest time to read a request head (zero: none)
         * @param keepAliveTimeout the longest time an idle keep-alive connection waits for its next request
         *                         (zero: none)
         * @param sendTimeout the longest time a response may go without a write reaching the socket (zero: none)
         */
        public Options(int maxRequestLine, int maxHeaderBlock, Duration headerTimeout, Duration keepAliveTimeout,
                       Duration sendTimeout) {
            this(maxRequestLine, maxHeaderBlock, headerTimeout, keepAliveTimeout, sendTimeout, false);
        }

        /**
         * These options with other timeouts.
         *
         * @param header the new {@link #headerTimeout()}
         * @param keepAlive the new {@link #keepAliveTimeout()}
         * @param send the new {@link #sendTimeout()}
         * @return new options with these limits, this HTTP/2 choice and the given timeouts
         * @throws NullPointerException when a timeout is null
         */
        public Options withTimeouts(Duration header, Duration keepAlive, Duration send) {
            return new Options(maxRequestLine, maxHeaderBlock, header, keepAlive, send, http2);
        }

        /**
         * These options, serving cleartext HTTP/2 as well or not.
         *
         * @param serve whether h2c is served beside HTTP/1.1
         * @return new options with these limits and timeouts
         */
        public Options withHttp2(boolean serve) {
            return new Options(maxRequestLine, maxHeaderBlock, headerTimeout, keepAliveTimeout, sendTimeout, serve);
        }
    }

    private HttpFileServer() {
    }

    /** Adds the request handlers of one new connection; called on the connection's event loop. */
    @FunctionalInterface
    public interface Handlers {
        /**
         * Adds to {@code pipeline}, after the codec and the aggregator, the handlers that answer the requests.
         *
         * @param pipeline the pipeline of the new connection
         * @throws Exception when the handlers cannot be made; the connection is then closed
         */
        void addTo(ChannelPipeline pipeline) throws Exception;
    }

    /**
     * Serves the files under {@code root} with an {@link AioHttpFileHandler} of the default settings, reading
     * through {@code aio} (made over {@code group}), on {@code host:port} (port 0 picks a free one). Creates
     * every loop's AIO context first ({@link EpollAio#bindAll()}) so that no loop pays for it during its
     * first request.
     *
     * @param group the epoll loops that accept and run the connections
     * @param aio the contexts of {@code group}'s loops
     * @param root the directory whose files are served
     * @param host the address to bind (a name or a literal)
     * @param port the port to bind; 0 picks a free one
     * @return the bound server channel
     * @throws IOException when {@code root} is not a directory (nothing is bound then)
     * @throws IllegalArgumentException when {@code aio} was made over another group
     * @throws InterruptedException when interrupted while waiting for the bind
     */
    public static Channel bind(EventLoopGroup group, EpollAio aio, Path root, String host, int port)
            throws IOException, InterruptedException {
        Objects.requireNonNull(aio, "aio");
        AioHttpFileHandler handler = AioHttpFileHandler.builder(root).aio(aio).build();
        try {
            aio.context((EventLoop) group.next());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the EpollAio was made over another group than " + group
                    + ": pass EpollAio.create(group) of the group that runs the connections", e);
        }
        aio.bindAll();
        return bind(group, handler, host, port, Options.DEFAULT);
    }

    /**
     * Serves with {@code handler} (one instance for every connection) under the given limits, on
     * {@code host:port}; a failure to bind ({@link java.net.BindException}, say) is thrown as it is.
     *
     * @param group the epoll loops that accept and run the connections
     * @param handler the file handler shared by every connection
     * @param host the address to bind (a name or a literal)
     * @param port the port to bind; 0 picks a free one
     * @param options the limits and timeouts of each connection
     * @return the bound server channel
     * @throws InterruptedException when interrupted while waiting for the bind
     */
    public static Channel bind(EventLoopGroup group, AioHttpFileHandler handler, String host, int port, Options options)
            throws InterruptedException {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(options, "options");
        return bootstrap(group, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpTimeouts(options.headerTimeout(), options.keepAliveTimeout(), options.sendTimeout()));
                HttpServerCodec codec = new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(options.maxRequestLine())
                        .setMaxHeaderSize(options.maxHeaderBlock()), MAX_PIPELINE_DEPTH);
                if (options.http2()) {
                    Http2Cleartext.addTo(ch.pipeline(), codec, handler, options.maxHeaderBlock());
                } else {
                    ch.pipeline().addLast(codec, handler);
                }
            }
        }, host, port);
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) on {@code group}, whose loops must run the epoll
     * transport; each connection's pipeline holds the codec and the aggregator, then what {@code handlers}
     * adds.
     *
     * @param group the epoll loops that accept and run the connections
     * @param host the address to bind (a name or a literal)
     * @param port the port to bind; 0 picks a free one
     * @param handlers what adds the request handlers to each new connection's pipeline
     * @return the bound server channel
     * @throws InterruptedException when interrupted while waiting for the bind
     */
    public static Channel bind(EventLoopGroup group, String host, int port, Handlers handlers) throws InterruptedException {
        Objects.requireNonNull(handlers, "handlers");
        return bootstrap(group, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) throws Exception {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_LENGTH));
                handlers.addTo(ch.pipeline());
            }
        }, host, port);
    }

    private static Channel bootstrap(EventLoopGroup group, ChannelInitializer<SocketChannel> init, String host, int port)
            throws InterruptedException {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(host, "host");
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .handler(new AcceptErrors())
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(init).bind(host, port).sync().channel();
    }

    /**
     * On the server channel: logs a shortage of descriptors once a minute at most, where Netty would log every
     * failed accept. Netty's acceptor pauses accepting for a second on each failure; this sits before it to
     * see new connections and behind it (added at activation) to take the failures it passes on.
     */
    private static final class AcceptErrors extends ChannelInboundHandlerAdapter {
        /** A shortage comes and goes as connections close: it is logged at most once a minute. */
        private static final long QUIET_NANOS = 60_000_000_000L;
        private boolean short_;
        private boolean logged;
        private long loggedAt;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                    if (cause instanceof Errors.NativeIoException e && (e.expectedErr() == -24 || e.expectedErr() == -23)) {
                        short_ = true;
                        long now = System.nanoTime();
                        if (!logged || now - loggedAt > QUIET_NANOS) {
                            logged = true;
                            loggedAt = now;
                            LOG.error("{}: cannot accept connections ({}): retrying every second, open connections are"
                                    + " still served", c.channel(), e.getMessage());
                        }
                        return;
                    }
                    LOG.warn("{}: accept failed", c.channel(), cause);
                }
            });
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (short_) {
                short_ = false;
                LOG.debug("{}: accepting connections again", ctx.channel());
            }
            ctx.fireChannelRead(msg);
        }
    }
}

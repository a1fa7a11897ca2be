package io.linuxaio.netty.http;

import io.linuxaio.AioContext;
import io.linuxaio.netty.EpollAio;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An HTTP/1.1 static file handler that never blocks its event loop: files are found and opened on the
 * blocking pool ({@link AioContext#supplyBlocking}). On an epoll channel without TLS a tail of a file (at
 * most 8 MiB, to its end) that the page cache holds goes out with {@code sendfile} on the loop, which waits
 * there only for a page evicted or still being read in at that moment, and any other single range with
 * {@code sendfile} made on the blocking pool, as nginx's {@code aio threads} ({@link Builder#pooledSendfile});
 * otherwise (TLS, HTTP/2, several ranges) the bytes are read through AIO
 * ({@link io.linuxaio.netty.AioFileTransfer}).
 *
 * <p>GET and HEAD, as RFC 9110 and nginx answer them: {@code Content-Type} by the name requested (nginx's
 * table, a charset only on plain text, styles and scripts), {@code Date}, {@code ETag} and
 * {@code Last-Modified} with every precondition (304, 412, {@code If-Range}), one range (206) or several
 * ({@code multipart/byteranges}), 416; a directory redirects to its URL with a slash (301) and serves its
 * {@code index.html}, else 403; dotfiles, FIFOs, sockets and devices answer 404; every path that would leave
 * the served root answers 403, whatever its encoding, symbolic links included. Requests without a valid
 * {@code Host} (HTTP/1.1), too long ones (414, 431) and other methods (405) are refused. Keep-alive (also
 * for HTTP/1.0), pipelining (answered in order, reading paused while {@value HttpConnection#MAX_QUEUED} wait),
 * a client's half-close (answered, then closed). Open files are reused for a second per event loop (as nginx's
 * {@code open_file_cache}): a file replaced on disk is served within a second.
 *
 * <p>Place it after {@code HttpServerCodec}, with or without an {@code HttpObjectAggregator} (request bodies
 * are discarded); {@link HttpTimeouts} before the codec cuts slow clients off. A Netty
 * {@code HttpContentCompressor} leaves file bodies alone: serve precompressed files instead
 * ({@link Builder#precompressed}). {@link HttpFileServer} builds such a pipeline, and with
 * {@link HttpFileServer.Options#http2()} serves cleartext HTTP/2 too: there each stream's child channel holds
 * Netty's {@code Http2StreamFrameToHttpObjectCodec}, a handler that wraps the body's buffers as
 * {@code HttpContent}s, and this handler, and a stream is one request.
 *
 * <p>Threading: build it off the event loops (it checks the root on the disk); one instance serves every
 * channel ({@link Sharable}); its work for a channel runs on that channel's loop.
 */
@ChannelHandler.Sharable
public final class AioHttpFileHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(AioHttpFileHandler.class);

    private final EpollAio aio;
    private final Function<ChannelHandlerContext, AioContext> contexts;
    private final FileResolver resolver;
    private final ContentTypes types;
    private final String index;
    private final boolean dotfiles;
    private final boolean precompressed;
    private final boolean pooledSendfile;
    private final AtomicBoolean wrongGroupLogged = new AtomicBoolean();

    /**
     * Serves the files under {@code root}, reading through {@code aio}'s context of each channel's loop, with
     * the defaults of {@link Builder}.
     *
     * @param root the directory whose files are served
     * @param aio the contexts of the loops of the channels' group
     * @throws IOException when {@code root} is not a directory
     */
    public AioHttpFileHandler(Path root, EpollAio aio) throws IOException {
        this(builder(root).aio(aio));
    }

    /**
     * Serves the files under {@code root}, reading through the context {@code contexts} gives for a channel,
     * with the defaults of {@link Builder}.
     *
     * @param root the directory whose files are served
     * @param contexts the context to read a channel's files through, given the handler's context on the channel
     * @throws IOException when {@code root} is not a directory
     */
    public AioHttpFileHandler(Path root, Function<ChannelHandlerContext, AioContext> contexts) throws IOException {
        this(builder(root).contexts(contexts));
    }

    private AioHttpFileHandler(Builder b) throws IOException {
        Path root = b.root.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new IOException(b.root + " is not a directory");
        }
        this.aio = b.aio;
        this.contexts = b.aio != null ? ctx -> b.aio.context(ctx.channel().eventLoop()) : Objects.requireNonNull(b.contexts, "aio or contexts");
        this.index = b.index;
        this.dotfiles = b.dotfiles;
        this.precompressed = b.precompressed;
        this.pooledSendfile = b.pooledSendfile;
        this.resolver = new FileResolver(root, root.toRealPath(), b.index, b.precompressed, b.listing, b.dotfiles);
        this.types = new ContentTypes(b.charset, b.charsetTypes);
    }

    /** How directories without an index file answer. */
    public enum Listing {
        /** 403. */
        OFF,
        /** An HTML page of links, as nginx's {@code autoindex on}. */
        HTML,
        /** A JSON array of {@code {name, type, mtime, size}}, as nginx's {@code autoindex_format json}. */
        JSON
    }

    /**
     * A builder of a handler serving the files under {@code root}.
     *
     * @param root the directory whose files are served; {@link Builder#build()} checks it
     * @return a builder with the defaults, to be given {@link Builder#aio} or {@link Builder#contexts}
     */
    public static Builder builder(Path root) {
        return new Builder(Objects.requireNonNull(root, "root"));
    }

    /** The settings of an {@link AioHttpFileHandler}. Not thread-safe; {@link #build()} off the event loops. */
    public static final class Builder {
        private final Path root;
        private EpollAio aio;
        private Function<ChannelHandlerContext, AioContext> contexts;
        private String index = "index.html";
        private boolean dotfiles;
        private boolean precompressed;
        private String charset = "utf-8";
        private Set<String> charsetTypes = ContentTypes.DEFAULT_CHARSET_TYPES;
        private Listing listing = Listing.OFF;
        private boolean pooledSendfile = true;

        private Builder(Path root) {
            this.root = root;
        }

        /**
         * Reads through {@code aio}'s context of each channel's loop: made over the channels' group. It wins over
         * {@link #contexts} when both are given.
         *
         * @param aio the contexts of the loops of the channels' group
         * @return this builder
         */
        public Builder aio(EpollAio aio) {
            this.aio = Objects.requireNonNull(aio, "aio");
            return this;
        }

        /**
         * Reads through the context {@code contexts} gives for a channel (instead of {@link #aio}).
         *
         * @param contexts the context to read a channel's files through, given the handler's context on the
         *                 channel
         * @return this builder
         */
        public Builder contexts(Function<ChannelHandlerContext, AioContext> contexts) {
            this.contexts = Objects.requireNonNull(contexts, "contexts");
            return this;
        }

        /**
         * The file a directory's URL serves (default {@code index.html}); null: none, a directory is 403 (or
         * listed, see {@link #listing}).
         *
         * @param index a file name, without {@code /}, or null
         * @return this builder
         * @throws IllegalArgumentException when {@code index} is empty or holds a {@code /}
         */
        public Builder index(String index) {
            if (index != null && (index.isEmpty() || index.contains("/"))) {
                throw new IllegalArgumentException("an index is a file name: " + index);
            }
            this.index = index;
            return this;
        }

        /**
         * Whether names that start with a dot ({@code .git}, {@code .env}) are served (default: no, 404).
         *
         * @param serve true to serve them
         * @return this builder
         */
        public Builder dotfiles(boolean serve) {
            this.dotfiles = serve;
            return this;
        }

        /**
         * Whether {@code a.js.br} or {@code a.js.gz} is served for {@code a.js} when the client accepts that
         * coding (nginx's {@code gzip_static}), with {@code Vary: Accept-Encoding}. Default: no.
         *
         * @param serve true to serve precompressed files
         * @return this builder
         */
        public Builder precompressed(boolean serve) {
            this.precompressed = serve;
            return this;
        }

        /**
         * The charset named in the {@code Content-Type} of the given types (default {@code utf-8} on
         * {@code text/plain}, {@code text/css}, {@code text/javascript}, {@code text/markdown},
         * {@code text/csv}; HTML is left to declare its own); null names none.
         *
         * @param charset the charset's name, or null for none
         * @param types the media types ({@code text/plain}, ...) that name it; they replace the default ones
         * @return this builder
         */
        public Builder charset(String charset, Set<String> types) {
            this.charset = charset;
            this.charsetTypes = Set.copyOf(types);
            return this;
        }

        /**
         * Whether a directory without an index file is listed, as nginx's {@code autoindex} does (in HTML or in
         * JSON), instead of answering 403. Default: {@link Listing#OFF}.
         *
         * @param format how to list, or {@link Listing#OFF} for 403
         * @return this builder
         */
        public Builder listing(Listing format) {
            this.listing = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * How a body that is not a cached tail of its file goes out on an epoll channel without TLS (default:
         * true): with {@code sendfile(2)} made on the library's blocking pool, as nginx's {@code aio threads}
         * with {@code sendfile on} (the pool waits for the disk, the bytes go from the page cache to the socket
         * without a copy, and the loop neither copies nor sends them); with false, read through AIO into
         * buffers that the loop writes ({@link io.linuxaio.netty.AioFileTransfer}), as over TLS, HTTP/2 and
         * for several ranges.
         *
         * @param pooled true for sendfile on the blocking pool
         * @return this builder
         */
        public Builder pooledSendfile(boolean pooled) {
            this.pooledSendfile = pooled;
            return this;
        }

        /**
         * A handler with these settings. It checks the root on the disk: call it off the event loops.
         *
         * @return the new handler
         * @throws IOException when the root is not a directory
         * @throws NullPointerException when neither {@link #aio} nor {@link #contexts} was given
         */
        public AioHttpFileHandler build() throws IOException {
            return new AioHttpFileHandler(this);
        }
    }

    /** Whether bodies go out with sendfile on the blocking pool ({@link Builder#pooledSendfile}). */
    boolean pooledSendfile() {
        return pooledSendfile;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (aio != null) {
            try {
                aio.context(ctx.channel().eventLoop());
            } catch (IllegalArgumentException e) {
                if (wrongGroupLogged.compareAndSet(false, true)) {
                    LOG.error("AioHttpFileHandler: its EpollAio was made over another group than this channel's ({});"
                            + " pass EpollAio.create(the group of the server's child channels, the second of"
                            + " ServerBootstrap.group(boss, child)); closing such connections", ctx.channel().eventLoop().parent());
                }
                ctx.close();
                return;
            } catch (RuntimeException e) {
                // no context on this loop now: its requests answer 503 until there is one
            }
        }
        ctx.channel().attr(HttpConnection.KEY).set(new HttpConnection(this, ctx));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            HttpConnection conn = ctx.channel().attr(HttpConnection.KEY).get();
            if (conn == null) {
                return;
            }
            if (msg instanceof HttpRequest r) {
                conn.received(r);
            } else if (msg instanceof HttpContent c && c.decoderResult().isFailure()) {
                conn.inputShutdown(); // a body that does not parse: nothing after it can be read
            }
        } finally {
            ReferenceCountUtil.release(msg); // a request's body is not used; its head stays readable
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        HttpConnection conn = ctx.channel().attr(HttpConnection.KEY).get();
        if (conn != null) {
            conn.writabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        HttpConnection conn = ctx.channel().attr(HttpConnection.KEY).get();
        if (evt instanceof ChannelInputShutdownEvent && conn != null) {
            conn.inputShutdown();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        HttpConnection conn = ctx.channel().attr(HttpConnection.KEY).get();
        if (conn != null) {
            conn.inactive();
        }
        super.channelInactive(ctx);
    }

    /**
     * A reset or a broken pipe is the client's doing, and so is a pipeline deeper than the codec takes
     * (see {@link HttpFileServer}): closed quietly. Anything else is logged once here.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof DecoderException) {
            LOG.debug("closing {}: {}", ctx.channel(), cause.toString());
        } else {
            LOG.warn("closing {}", ctx.channel(), cause);
        }
        ctx.close();
    }

    AioContext context(ChannelHandlerContext ctx) {
        try {
            return contexts.apply(ctx);
        } catch (RuntimeException e) {
            return null; // no context on this loop (fs.aio-max-nr exhausted, say): EpollAio logged the cause once
        }
    }

    /** Answers one request on its connection (on the channel's loop). */
    void serve(HttpConnection conn, ChannelHandlerContext ctx, HttpRequest request) {
        HttpResponseStatus refused = RequestTarget.refusal(request);
        if (refused != null) {
            conn.sendErrorAndClose(refused);
            return;
        }
        HttpMethod method = request.method();
        boolean head = HttpMethod.HEAD.equals(method);
        if (!head && !HttpMethod.GET.equals(method)) {
            var r = conn.error(HttpResponseStatus.METHOD_NOT_ALLOWED);
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            conn.send(r);
            return;
        }
        String origin = RequestTarget.originForm(request.uri());
        if (origin == null) {
            conn.sendErrorAndClose(HttpResponseStatus.BAD_REQUEST); // not a client of ours, as nginx judges it
            return;
        }
        boolean[] hidden = {false};
        RequestTarget.Target target = RequestTarget.parse(origin, dotfiles, hidden);
        if (target == null || hidden[0]) {
            conn.sendError(target == null ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.NOT_FOUND);
            return;
        }
        AioContext aio = conn.context();
        if (aio == null) {
            var r = conn.error(HttpResponseStatus.SERVICE_UNAVAILABLE);
            r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            conn.send(r);
            return;
        }
        AcceptEncoding accepted = precompressed ? AcceptEncoding.of(request.headers().get(HttpHeaderNames.ACCEPT_ENCODING))
                : AcceptEncoding.NONE;
        String type = types.of(target.directory() ? (index == null ? "" : index) : target.name());
        // the cache is the context's owner thread's: used only when this handler runs there
        OpenFileCache cache = aio.inOwnerThread() ? OpenFileCache.of(aio) : null;
        String key = precompressed ? target.path() + '\0' + accepted.cacheKey() : target.path();
        OpenFileCache.Lease cached = cache == null ? null : cache.get(key, System.nanoTime());
        if (cached != null) {
            FileResponse.send(conn, cached, request.headers(), head, type);
            return;
        }
        aio.supplyBlocking(() -> resolver.resolve(aio, target, accepted)).whenComplete((res, err) -> conn.onLoop(() -> {
            if (err != null) {
                conn.sendError(FileResolver.statusOf(err, Path.of(target.path())));
                return;
            }
            if (res.listing() != null) {
                // to a HEAD too: the codec writes the head only, with the body's length
                var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(res.listing()));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, res.listingType());
                conn.send(r);
                return;
            }
            if (res.file() == null) {
                var r = conn.error(res.status());
                if (res.location() != null) {
                    r.headers().set(HttpHeaderNames.LOCATION, res.location());
                }
                if (res.status().code() == 503) {
                    r.headers().set(HttpHeaderNames.RETRY_AFTER, "1"); // out of descriptors, or the context is closing
                }
                conn.send(r);
                return;
            }
            OpenFileCache.Lease lease;
            if (cache != null && ctx.executor().inEventLoop()) {
                lease = cache.put(key, res, System.nanoTime());
                cache.sweepLater(ctx.executor());
            } else {
                lease = new OpenFileCache.Lease(res, null);
            }
            FileResponse.send(conn, lease, request.headers(), head, type);
        }));
    }
}

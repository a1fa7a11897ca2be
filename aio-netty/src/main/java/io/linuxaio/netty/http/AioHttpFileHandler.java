package io.linuxaio.netty.http;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.NotRegularFileException;
import io.linuxaio.netty.AioFileTransfer;
import io.linuxaio.netty.EpollAio;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP/1.1 static file handler that never blocks its event loop: files are opened on the blocking pool
 * ({@link AioContext#openAsync}) and their bytes read through AIO ({@link AioFileTransfer}).
 *
 * <p>GET and HEAD; {@code Content-Length}, {@code Content-Type}, a single {@code Range} (206, and 416 when
 * it cannot be satisfied; several ranges get the whole file, as RFC 9110 allows), {@code Last-Modified} and
 * {@code ETag} with {@code If-Modified-Since} and {@code If-None-Match} (304), keep-alive, 404, 405, and
 * 403 for every path that would leave the served root, whatever its encoding, symbolic links included.
 * Pipelined requests are answered in order. Open files are reused for a second per event loop (as nginx's
 * {@code open_file_cache}): a file replaced on disk is served within a second, and a popular file costs no
 * trip to the blocking pool.
 *
 * <p>Place it after {@code HttpServerCodec} and {@code HttpObjectAggregator}. One instance per channel.
 */
public final class AioHttpFileHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=UTF-8"), Map.entry("htm", "text/html; charset=UTF-8"),
            Map.entry("txt", "text/plain; charset=UTF-8"), Map.entry("css", "text/css; charset=UTF-8"),
            Map.entry("js", "text/javascript; charset=UTF-8"), Map.entry("json", "application/json"),
            Map.entry("xml", "application/xml"), Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"), Map.entry("ico", "image/x-icon"), Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"), Map.entry("mp4", "video/mp4"),
            Map.entry("webm", "video/webm"), Map.entry("mp3", "audio/mpeg"), Map.entry("wasm", "application/wasm"),
            Map.entry("woff2", "font/woff2"));

    private final Path root;
    private static final Logger LOG = LoggerFactory.getLogger(AioHttpFileHandler.class);

    private final Path realRoot;
    private final Function<ChannelHandlerContext, AioContext> contexts;
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
    private boolean busy;

    /**
     * Serves the files under {@code root}, reading through {@code aio}'s context of each channel's loop.
     *
     * @throws IOException when {@code root} is not a directory
     */
    public AioHttpFileHandler(Path root, EpollAio aio) throws IOException {
        this(root, ctx -> aio.context(ctx.channel().eventLoop()));
        Objects.requireNonNull(aio, "aio");
    }

    /** Serves the files under {@code root}, reading through the context {@code contexts} gives for a channel. */
    public AioHttpFileHandler(Path root, Function<ChannelHandlerContext, AioContext> contexts) throws IOException {
        super(false);
        this.root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.root)) {
            throw new IOException(root + " is not a directory");
        }
        this.realRoot = this.root.toRealPath();
        this.contexts = Objects.requireNonNull(contexts, "contexts");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (busy) {
            queued.addLast(request); // a pipelined request: answered when the current response is done
            return;
        }
        busy = true;
        serve(ctx, request);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        FullHttpRequest r;
        while ((r = queued.pollFirst()) != null) {
            r.release();
        }
        super.channelInactive(ctx);
    }

    private void next(ChannelHandlerContext ctx) {
        FullHttpRequest r = queued.pollFirst();
        if (r == null) {
            busy = false;
        } else {
            serve(ctx, r);
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        try {
            if (!request.decoderResult().isSuccess()) {
                sendError(ctx, HttpResponseStatus.BAD_REQUEST, false);
                return;
            }
            HttpMethod method = request.method();
            if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
                FullHttpResponse r = error(HttpResponseStatus.METHOD_NOT_ALLOWED);
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                send(ctx, r, keepAlive);
                return;
            }
            String uri = request.uri();
            boolean head = HttpMethod.HEAD.equals(method);
            String ifNoneMatch = request.headers().get(HttpHeaderNames.IF_NONE_MATCH);
            String ifModifiedSince = request.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE);
            String range = request.headers().get(HttpHeaderNames.RANGE);
            AioContext aio;
            try {
                aio = contexts.apply(ctx);
            } catch (RuntimeException e) {
                // no context on this loop (fs.aio-max-nr exhausted, say): EpollAio logged the cause once
                FullHttpResponse r = error(HttpResponseStatus.SERVICE_UNAVAILABLE);
                r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
                send(ctx, r, keepAlive);
                return;
            }
            // the cache is the context's owner thread's: used only when this handler runs there
            OpenFileCache cache = aio.inOwnerThread() ? OpenFileCache.of(aio) : null;
            String key = new QueryStringDecoder(uri).rawPath();
            OpenFileCache.Lease cached = cache == null ? null : cache.get(key, System.nanoTime());
            if (cached != null) {
                respond(ctx, cached, head, ifNoneMatch, ifModifiedSince, range, keepAlive);
                return;
            }
            // resolving the path (symbolic links) and opening the file touch the disk: the blocking pool does both
            aio.supplyBlocking(() -> openBeneathRoot(aio, uri)).whenComplete((file, err) -> onLoop(ctx, () -> {
                if (err != null) {
                    sendError(ctx, statusOf(err), keepAlive);
                    return;
                }
                if (file == FORBIDDEN) {
                    sendError(ctx, HttpResponseStatus.FORBIDDEN, keepAlive);
                    return;
                }
                OpenFileCache.Lease lease;
                if (cache != null && ctx.executor().inEventLoop()) {
                    lease = cache.put(key, file, System.nanoTime());
                    cache.sweepLater(ctx.executor());
                } else {
                    lease = new OpenFileCache.Lease(file, null);
                }
                respond(ctx, lease, head, ifNoneMatch, ifModifiedSince, range, keepAlive);
            }));
        } finally {
            request.release();
        }
    }

    private static HttpResponseStatus statusOf(Throwable err) {
        if (err instanceof NoSuchFileException || err instanceof NotRegularFileException) {
            return HttpResponseStatus.NOT_FOUND; // a directory, FIFO, socket or device is never served
        }
        if (err instanceof AccessDeniedException) {
            return HttpResponseStatus.FORBIDDEN;
        }
        if (err instanceof AioClosedException) {
            return HttpResponseStatus.SERVICE_UNAVAILABLE; // the loop's context is closing
        }
        LOG.warn("500 Internal Server Error", err);
        return HttpResponseStatus.INTERNAL_SERVER_ERROR;
    }

    /** Marks a path that leaves the root (never opened, never closed). */
    private static final AioFile FORBIDDEN = null;

    /**
     * On the blocking pool: the file the URI names, opened, and checked again once open (through
     * {@code /proc/self/fd}) so that a symbolic link swapped in between cannot lead out of the root;
     * {@link #FORBIDDEN} when the path leaves the root.
     */
    private AioFile openBeneathRoot(AioContext aio, String uri) throws IOException {
        Path path = resolve(uri);
        if (path == null) {
            return FORBIDDEN;
        }
        AioFile file = aio.open(path);
        try {
            Path opened = Files.readSymbolicLink(Path.of("/proc/self/fd/" + file.fd()));
            if (!opened.startsWith(realRoot)) {
                file.close();
                return FORBIDDEN;
            }
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
        return file;
    }

    private void respond(ChannelHandlerContext ctx, OpenFileCache.Lease lease, boolean head, String ifNoneMatch,
                         String ifModifiedSince, String range, boolean keepAlive) {
        AioFile file = lease.file;
        Path path = file.path();
        AioFile.FileAttributes attrs;
        try {
            attrs = file.attributes();
        } catch (IOException e) {
            lease.release();
            LOG.warn("500 Internal Server Error: cannot read the attributes of {}", path, e);
            sendError(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, keepAlive);
            return;
        }
        long size = attrs.size();
        String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(attrs.lastModifiedNanos()) + "\"";
        long lastModifiedSeconds = Math.floorDiv(attrs.lastModifiedMillis(), 1000);
        boolean notModified;
        if (ifNoneMatch != null) {
            notModified = matchesEtag(ifNoneMatch, etag);
        } else if (ifModifiedSince != null) {
            Date since = DateFormatter.parseHttpDate(ifModifiedSince);
            notModified = since != null && lastModifiedSeconds <= since.getTime() / 1000;
        } else {
            notModified = false;
        }
        if (notModified) {
            lease.release();
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
            r.headers().set(HttpHeaderNames.ETAG, etag);
            r.headers().set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(lastModifiedSeconds * 1000)));
            send(ctx, r, keepAlive);
            return;
        }

        long start = 0;
        long length = size;
        HttpResponseStatus status = HttpResponseStatus.OK;
        if (range != null) {
            Matcher m = RANGE.matcher(range.trim());
            if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
                long[] r = parseRange(m.group(1), m.group(2), size);
                if (r == null) {
                    lease.release();
                    FullHttpResponse e = error(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                    e.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
                    send(ctx, e, keepAlive);
                    return;
                }
                start = r[0];
                length = r[1] - r[0] + 1;
                status = HttpResponseStatus.PARTIAL_CONTENT;
            }
        }

        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType(path));
        response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        response.headers().set(HttpHeaderNames.ETAG, etag);
        response.headers().set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(lastModifiedSeconds * 1000)));
        if (status == HttpResponseStatus.PARTIAL_CONTENT) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + start + "-" + (start + length - 1) + "/" + size);
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.write(response);
        if (head || length == 0) {
            lease.release();
            finish(ctx, keepAlive);
            return;
        }
        AioFileTransfer.send(ctx.channel(), file, start, length).whenComplete((n, err) -> onLoop(ctx, () -> {
            lease.release();
            if (err != null) {
                ctx.close(); // the head is out: the only honest end of a broken body is closing the connection
                return;
            }
            finish(ctx, keepAlive);
        }));
    }

    private void finish(ChannelHandlerContext ctx, boolean keepAlive) {
        var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        next(ctx);
    }

    /** {@code [first, last]} of a satisfiable single range, or null. */
    private static long[] parseRange(String first, String last, long size) {
        try {
            if (first.isEmpty()) { // suffix: the last N bytes
                long n = Long.parseLong(last);
                if (n == 0 || size == 0) {
                    return null;
                }
                return new long[] {Math.max(0, size - n), size - 1};
            }
            long a = Long.parseLong(first);
            long b = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            if (a >= size || a > b) {
                return null;
            }
            return new long[] {a, b};
        } catch (NumberFormatException e) {
            return null; // digits too many for a long: cannot be satisfied
        }
    }

    private static boolean matchesEtag(String header, String etag) {
        for (String candidate : header.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The file a request URI names, or null when it would leave the root: the path is percent-decoded
     * once (so {@code %2e%2e%2f} is {@code ../}), then refused if it holds a NUL, a backslash, or a
     * {@code ..} segment; what remains must stay under the root after normalisation and after symbolic
     * links are followed.
     */
    Path resolve(String uri) {
        String decoded;
        try {
            decoded = new QueryStringDecoder(uri, StandardCharsets.UTF_8).path();
        } catch (IllegalArgumentException e) {
            return null; // malformed escapes
        }
        if (decoded.indexOf('\0') >= 0 || decoded.indexOf('\\') >= 0 || !decoded.startsWith("/")) {
            return null;
        }
        for (String segment : decoded.split("/")) {
            if (segment.equals("..")) {
                return null;
            }
        }
        Path p;
        try {
            p = root.resolve(decoded.substring(1)).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
        if (!p.startsWith(root)) {
            return null;
        }
        try {
            // symbolic links must not lead out of the root either (a missing file gives 404 later)
            Path real = p.toRealPath();
            if (!real.startsWith(realRoot)) {
                return null;
            }
            return real;
        } catch (IOException e) {
            return p;
        }
    }

    private static String contentType(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    private static FullHttpResponse error(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(status + "\r\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8");
        return r;
    }

    private void sendError(ChannelHandlerContext ctx, HttpResponseStatus status, boolean keepAlive) {
        send(ctx, error(status), keepAlive);
    }

    private void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        var f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        next(ctx);
    }

    private static void onLoop(ChannelHandlerContext ctx, Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }
}

package io.linuxaio.benchmarks;

import io.linuxaio.AioContext;
import io.linuxaio.netty.AioChunkedFile;
import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.PerLoopFile;
import io.linuxaio.netty.http.AioHttpFileHandler;
import io.linuxaio.netty.http.HttpFileServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The same static file server in five modes, for {@code wrk}: {@code aio} (this library's
 * {@link AioHttpFileHandler}), {@code aio-stream} (the same with {@code pooledSendfile(false)}: bodies that are
 * not cached tails read through AIO and written by the loop), {@code chunked} (Netty's {@code ChunkedNioFile}: blocking reads on the loop),
 * {@code sendfile} (Netty's {@code DefaultFileRegion}: {@code sendfile(2)} on the loop) and {@code aio-chunked}
 * (the {@code chunked} handler with {@link AioChunkedFile} where {@code ChunkedNioFile} was: the drop-in
 * compared with what it replaces). The three last are the minimal handler of Netty's own file server example:
 * GET only, no ranges. All five sit behind the same codec and aggregator ({@link HttpFileServer}).
 *
 * <p>With {@code --http2} the server speaks cleartext HTTP/2 to clients that open with its preface (prior
 * knowledge, as {@code h2load} and {@code curl --http2-prior-knowledge} do): {@code aio} is the same handler on
 * {@link HttpFileServer}'s HTTP/2 pipeline (a child channel per stream), {@code chunked} and {@code aio-chunked}
 * are Netty's HTTP/2 file example ({@link NettyHttp2FileHandler}: {@code Http2DataChunkedInput} over
 * {@code ChunkedNioFile} or {@link AioChunkedFile}); {@code sendfile} has no HTTP/2 form (the frame codec
 * writes every DATA frame from a buffer).
 *
 * <pre>java -cp aio-benchmarks.jar io.linuxaio.benchmarks.HttpBenchServer --mode aio --root /srv --port 8080</pre>
 */
@Command(name = "http-bench-server", mixinStandardHelpOptions = true,
        description = "A static file server in five modes (aio, aio-stream, chunked, sendfile, aio-chunked) for wrk.")
public final class HttpBenchServer implements Callable<Integer> {

    @Option(names = "--mode", required = true, description = "aio | aio-stream | chunked | sendfile | aio-chunked")
    String mode;

    @Option(names = "--root", required = true, description = "the directory served")
    Path root;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--loops", defaultValue = "1", description = "event loops (default: ${DEFAULT-VALUE})")
    int loops;

    @Option(names = "--inline-cached-reads", defaultValue = "true", arity = "1",
            description = "aio mode: page-cached reads complete where they are made (default: ${DEFAULT-VALUE})")
    boolean inlineCachedReads;

    @Option(names = "--http2", description = "cleartext HTTP/2 with prior knowledge (aio, chunked, aio-chunked)")
    boolean http2;

    public static void main(String[] args) {
        int code = new CommandLine(new HttpBenchServer()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws Exception {
        Path dir = root.toAbsolutePath().normalize();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, EpollIoHandler.newFactory());
        EpollAio aio = EpollAio.create(group, () -> AioContext.builder().inlineCachedReads(inlineCachedReads)).bindAll();
        try {
            Channel ch = http2 ? bindHttp2(group, aio, dir) : switch (mode) {
                case "aio" -> HttpFileServer.bind(group, aio, dir, "127.0.0.1", port);
                case "aio-stream" -> HttpFileServer.bind(group, AioHttpFileHandler.builder(dir).aio(aio).pooledSendfile(false).build(),
                        "127.0.0.1", port, HttpFileServer.Options.DEFAULT);
                case "chunked" -> HttpFileServer.bind(group, "127.0.0.1", port,
                        p -> p.addLast(new ChunkedWriteHandler(), new NettyFileHandler(dir, false, null)));
                case "sendfile" -> HttpFileServer.bind(group, "127.0.0.1", port, p -> p.addLast(new NettyFileHandler(dir, true, null)));
                case "aio-chunked" -> {
                    NettyFileHandler.AioFiles files = new NettyFileHandler.AioFiles(aio);
                    yield HttpFileServer.bind(group, "127.0.0.1", port,
                            p -> p.addLast(new ChunkedWriteHandler(), new NettyFileHandler(dir, false, files)));
                }
                default -> throw new IllegalArgumentException("mode " + mode + ": aio, aio-stream, chunked, sendfile or aio-chunked");
            };
            System.out.println("serving " + dir + " in mode " + mode + (http2 ? " over HTTP/2 (h2c, prior knowledge)" : "")
                    + " on http://127.0.0.1:" + ((InetSocketAddress) ch.localAddress()).getPort() + "/");
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            aio.close();
            group.shutdownGracefully();
        }
        return 0;
    }

    private Channel bindHttp2(EventLoopGroup group, EpollAio aio, Path dir) throws IOException, InterruptedException {
        return switch (mode) {
            case "aio" -> HttpFileServer.bind(group, AioHttpFileHandler.builder(dir).aio(aio).build(), "127.0.0.1", port,
                    HttpFileServer.Options.DEFAULT.withHttp2(true));
            case "chunked" -> NettyHttp2FileHandler.bind(group, port, dir, null);
            case "aio-chunked" -> NettyHttp2FileHandler.bind(group, port, dir, new NettyFileHandler.AioFiles(aio));
            default -> throw new IllegalArgumentException("mode " + mode + " over HTTP/2: aio, chunked or aio-chunked");
        };
    }

    /**
     * Netty's example file server, reduced: GET a file, blocking open and reads on the loop; or, given
     * {@code aioFiles}, the same with {@link AioChunkedFile} for the body (the stat stays on the loop, as in
     * the other modes, so that only the body's reads differ). Loop thread.
     */
    static final class NettyFileHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Path root;
        private final boolean sendfile;
        private final AioFiles aioFiles;

        /** One {@link PerLoopFile} per path served, opened at its first request and kept. Any thread. */
        record AioFiles(EpollAio aio, Map<Path, PerLoopFile> open) {
            AioFiles(EpollAio aio) {
                this(aio, new ConcurrentHashMap<>());
            }

            PerLoopFile get(Path p) {
                return open.computeIfAbsent(p, path -> aio.perLoop(path));
            }
        }

        NettyFileHandler(Path root, boolean sendfile, AioFiles aioFiles) {
            this.root = root;
            this.sendfile = sendfile;
            this.aioFiles = aioFiles;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Path p = regularFile(root, req.uri());
            if (p == null) {
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
                HttpUtil.setContentLength(r, 0);
                ctx.writeAndFlush(r);
                return;
            }
            if (aioFiles != null) {
                long length = Files.size(p);
                ctx.write(okResponse(length, keepAlive));
                aioFiles.get(p).forLoop(ctx.channel().eventLoop()).whenComplete((file, err) -> {
                    if (err != null) {
                        ctx.close();
                        return;
                    }
                    var last = ctx.writeAndFlush(new HttpChunkedInput(new AioChunkedFile(ctx.channel(), file, 0, length,
                            64 * 1024, 4)), ctx.newProgressivePromise());
                    if (!keepAlive) {
                        last.addListener(ChannelFutureListener.CLOSE);
                    }
                });
                return;
            }
            RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r");
            long length = raf.length();
            ctx.write(okResponse(length, keepAlive));
            FileChannel fc = raf.getChannel();
            if (sendfile) {
                ctx.write(new DefaultFileRegion(fc, 0, length), ctx.newProgressivePromise());
                var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                if (!keepAlive) {
                    last.addListener(ChannelFutureListener.CLOSE);
                }
            } else {
                var last = ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(fc, 0, length, 64 * 1024)),
                        ctx.newProgressivePromise());
                if (!keepAlive) {
                    last.addListener(ChannelFutureListener.CLOSE);
                }
            }
        }

        /** The regular file under {@code root} that {@code uri} names, or null. */
        static Path regularFile(Path root, String uri) {
            Path p = root.resolve(new QueryStringDecoder(uri).path().substring(1)).normalize();
            return p.startsWith(root) && Files.isRegularFile(p) ? p : null;
        }

        private static HttpResponse okResponse(long length, boolean keepAlive) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setContentLength(response, length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
            HttpUtil.setKeepAlive(response, keepAlive);
            return response;
        }
    }
}

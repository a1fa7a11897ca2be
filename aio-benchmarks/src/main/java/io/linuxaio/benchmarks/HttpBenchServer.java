package io.linuxaio.benchmarks;

import io.linuxaio.AioContext;
import io.linuxaio.netty.EpollAio;
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

import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The same static file server in three modes, for {@code wrk}: {@code aio} (this library's
 * {@link AioHttpFileHandler}), {@code chunked} (Netty's {@code ChunkedNioFile}: blocking reads on the loop)
 * and {@code sendfile} (Netty's {@code DefaultFileRegion}: {@code sendfile(2)} on the loop). The two Netty
 * modes are the minimal handler of Netty's own file server example: GET only, no ranges. All three sit behind the
 * same codec and aggregator ({@link HttpFileServer}).
 *
 * <pre>java -cp aio-benchmarks.jar io.linuxaio.benchmarks.HttpBenchServer --mode aio --root /srv --port 8080</pre>
 */
@Command(name = "http-bench-server", mixinStandardHelpOptions = true,
        description = "A static file server in three modes (aio, chunked, sendfile) for wrk.")
public final class HttpBenchServer implements Callable<Integer> {

    @Option(names = "--mode", required = true, description = "aio | chunked | sendfile")
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
            Channel ch = switch (mode) {
                case "aio" -> HttpFileServer.bind(group, aio, dir, "127.0.0.1", port);
                case "chunked" -> HttpFileServer.bind(group, "127.0.0.1", port,
                        p -> p.addLast(new ChunkedWriteHandler(), new NettyFileHandler(dir, false)));
                case "sendfile" -> HttpFileServer.bind(group, "127.0.0.1", port, p -> p.addLast(new NettyFileHandler(dir, true)));
                default -> throw new IllegalArgumentException("mode " + mode + ": aio, chunked or sendfile");
            };
            System.out.println("serving " + dir + " in mode " + mode + " on http://127.0.0.1:"
                    + ((InetSocketAddress) ch.localAddress()).getPort() + "/");
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            aio.close();
            group.shutdownGracefully();
        }
        return 0;
    }

    /** Netty's example file server, reduced: GET a file, blocking open and reads on the loop. */
    static final class NettyFileHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Path root;
        private final boolean sendfile;

        NettyFileHandler(Path root, boolean sendfile) {
            this.root = root;
            this.sendfile = sendfile;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Path p = root.resolve(new QueryStringDecoder(req.uri()).path().substring(1)).normalize();
            if (!p.startsWith(root) || !Files.isRegularFile(p)) {
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
                HttpUtil.setContentLength(r, 0);
                ctx.writeAndFlush(r);
                return;
            }
            RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r");
            long length = raf.length();
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setContentLength(response, length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
            HttpUtil.setKeepAlive(response, keepAlive);
            ctx.write(response);
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
    }
}

package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Binds an HTTP/1.1 server on Netty epoll loops: every connection gets Netty's {@link HttpServerCodec}, an
 * {@link HttpObjectAggregator} of {@value #MAX_REQUEST_LENGTH} bytes, then the request handlers, an
 * {@link AioHttpFileHandler} or others.
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
 * EpollAio aio = EpollAio.create(group);
 * Channel server = HttpFileServer.bind(group, aio, Path.of("/var/www"), "0.0.0.0", 8080);
 * }</pre>
 *
 * <p>Threading: call the {@code bind} methods from any thread but the group's loops (they wait for the
 * loops); the handlers of a connection are made and run on its loop. Closing the returned channel stops
 * the server; the group and the {@code EpollAio} stay the caller's to close.
 */
public final class HttpFileServer {

    /** The largest request body the aggregator accepts: 64 KiB (a larger one is answered 413). */
    public static final int MAX_REQUEST_LENGTH = 64 * 1024;

    private HttpFileServer() {
    }

    /** Adds the request handlers of one new connection; called on the connection's event loop. */
    @FunctionalInterface
    public interface Handlers {
        /** Adds to {@code pipeline}, after the codec and the aggregator, the handlers that answer the requests. */
        void addTo(ChannelPipeline pipeline) throws Exception;
    }

    /**
     * Serves the files under {@code root} with an {@link AioHttpFileHandler} reading through {@code aio}
     * (which must be made over {@code group}) on {@code host:port} (port 0 picks a free one). Checks
     * {@code root} first, then creates every loop's AIO context ({@link EpollAio#bindAll()}) so that no
     * loop pays for it during its first request, then binds.
     *
     * @return the bound server channel
     * @throws IOException when {@code root} is not a directory (nothing is bound then)
     */
    public static Channel bind(EventLoopGroup group, EpollAio aio, Path root, String host, int port)
            throws IOException, InterruptedException {
        Objects.requireNonNull(aio, "aio");
        new AioHttpFileHandler(root, aio); // fails here rather than on every connection when root is not a directory
        aio.bindAll();
        return bind(group, host, port, pipeline -> pipeline.addLast(new AioHttpFileHandler(root, aio)));
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) on {@code group}, whose loops must run the epoll
     * transport; each connection's pipeline holds the codec and the aggregator, then what {@code handlers}
     * adds.
     *
     * @return the bound server channel
     */
    public static Channel bind(EventLoopGroup group, String host, int port, Handlers handlers) throws InterruptedException {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(handlers, "handlers");
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) throws Exception {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_LENGTH));
                        handlers.addTo(ch.pipeline());
                    }
                }).bind(host, port).sync().channel();
    }
}

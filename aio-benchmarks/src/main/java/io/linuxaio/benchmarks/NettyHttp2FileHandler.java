package io.linuxaio.benchmarks;

import io.linuxaio.netty.AioChunkedFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataChunkedInput;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Netty's HTTP/2 static file example, reduced as {@link HttpBenchServer.NettyFileHandler} is: on a cleartext
 * connection that opens with the HTTP/2 preface (prior knowledge), {@code Http2FrameCodec}, then
 * {@code ChunkedWriteHandler}, then this; a request's HEADERS frame is answered with a HEADERS frame and the file
 * as an {@link Http2DataChunkedInput} over Netty's {@code ChunkedNioFile} (blocking open and reads on the loop)
 * or, given {@code aioFiles}, over {@link AioChunkedFile}. GET only, no ranges. Loop thread.
 */
final class NettyHttp2FileHandler extends ChannelInboundHandlerAdapter {

    private static final int CHUNK = 64 * 1024;

    private final Path root;
    private final HttpBenchServer.NettyFileHandler.AioFiles aioFiles;

    NettyHttp2FileHandler(Path root, HttpBenchServer.NettyFileHandler.AioFiles aioFiles) {
        this.root = root;
        this.aioFiles = aioFiles;
    }

    /** Binds {@code 127.0.0.1:port} on {@code group}: each connection gets the codec, the chunked writer and a handler. */
    static Channel bind(EventLoopGroup group, int port, Path root, HttpBenchServer.NettyFileHandler.AioFiles aioFiles)
            throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new ChunkedWriteHandler(),
                                new NettyHttp2FileHandler(root, aioFiles));
                    }
                }).bind("127.0.0.1", port).sync().channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        try {
            if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
                serve(ctx, h.headers(), h.stream());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void serve(ChannelHandlerContext ctx, Http2Headers request, Http2FrameStream stream) throws IOException {
        Path p = HttpBenchServer.NettyFileHandler.regularFile(root, request.path().toString());
        if (p == null) {
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("404"), true).stream(stream));
            return;
        }
        if (aioFiles != null) {
            long length = Files.size(p);
            ctx.write(okHeaders(length, stream));
            aioFiles.get(p).forLoop(ctx.channel().eventLoop()).whenComplete((file, err) -> {
                if (err != null) {
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR).stream(stream));
                    return;
                }
                ctx.writeAndFlush(new Http2DataChunkedInput(new AioChunkedFile(ctx.channel(), file, 0, length, CHUNK, 4), stream));
            });
            return;
        }
        RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r");
        long length = raf.length();
        ctx.write(okHeaders(length, stream));
        ctx.writeAndFlush(new Http2DataChunkedInput(new ChunkedNioFile(raf.getChannel(), 0, length, CHUNK), stream));
    }

    private static DefaultHttp2HeadersFrame okHeaders(long length, Http2FrameStream stream) {
        Http2Headers headers = new DefaultHttp2Headers().status("200");
        headers.setLong(HttpHeaderNames.CONTENT_LENGTH, length);
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        return new DefaultHttp2HeadersFrame(headers).stream(stream);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

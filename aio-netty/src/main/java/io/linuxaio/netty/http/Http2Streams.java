package io.linuxaio.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

/**
 * The pipeline of one HTTP/2 stream's child channel, run on the connection's event loop (a stream channel
 * shares its parent's): Netty's {@link Http2StreamFrameToHttpObjectCodec} makes the stream's frames the
 * {@code HttpObject}s an {@link AioHttpFileHandler} reads and writes, so one stream is one request of that
 * handler. The codec drops the HTTP/1 connection headers ({@code Connection}, {@code Keep-Alive},
 * {@code Transfer-Encoding}) that HTTP/2 forbids. The stream channel's writability follows the stream's flow
 * control window, so the handler's file transfer reads ahead only while the client takes the bytes.
 */
@ChannelHandler.Sharable
final class Http2Streams extends ChannelInitializer<Http2StreamChannel> {

    private final AioHttpFileHandler handler;

    Http2Streams(AioHttpFileHandler handler) {
        this.handler = handler;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), BODY_CHUNKS, handler);
    }

    private static final ChannelHandler BODY_CHUNKS = new BodyChunks();

    /**
     * The file transfer writes a body's chunks as plain {@code ByteBuf}s, which the HTTP/1 codec sends as they
     * are; the HTTP/2 codec takes {@code HttpContent}s only (a stream channel refuses anything but frames).
     */
    @ChannelHandler.Sharable
    private static final class BodyChunks extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg instanceof ByteBuf b ? new DefaultHttpContent(b) : msg, promise);
        }
    }
}

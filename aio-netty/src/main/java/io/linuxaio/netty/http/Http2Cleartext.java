package io.linuxaio.netty.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The pipeline of a connection that speaks HTTP/1.1 or cleartext HTTP/2 (h2c), built on the connection's
 * event loop: a client that opens with the HTTP/2 preface (prior knowledge) or asks for {@code Upgrade: h2c}
 * gets HTTP/2, with each stream served by the {@link AioHttpFileHandler} on a child channel
 * ({@link Http2Streams}); any other client is served HTTP/1.1 by the same handler on the connection itself.
 *
 * <p>Once a connection is HTTP/2, the handler leaves it (its streams have their own), and
 * {@link HttpTimeouts} follows its streams: the keep-alive timeout runs while none is open (then GOAWAY and
 * the close), the send timeout while one writes; there is no request head to time.
 */
final class Http2Cleartext {

    private static final Logger LOG = LoggerFactory.getLogger(Http2Cleartext.class);

    /** The largest upgrade request body taken (the request is then answered on stream 1). */
    private static final int MAX_UPGRADE_BODY = 64 * 1024;

    private Http2Cleartext() {
    }

    /**
     * Adds the h2c detection, the HTTP/1.1 {@code codec} and {@code handler} to {@code p}; an HTTP/2 request's
     * header fields are limited to {@code maxHeaderList} bytes as HTTP/1.1's are.
     */
    static void addTo(ChannelPipeline p, HttpServerCodec codec, AioHttpFileHandler handler, int maxHeaderList) {
        Http2Streams streams = new Http2Streams(handler);
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(frameCodec(maxHeaderList), new Http2MultiplexHandler(streams)) : null,
                MAX_UPGRADE_BODY);
        p.addLast(new CleartextHttp2ServerUpgradeHandler(codec, upgrade, new PriorKnowledge(streams, maxHeaderList)),
                handler, new Switch(handler));
    }

    private static Http2FrameCodec frameCodec(int maxHeaderList) {
        return Http2ServerCodec.create(maxHeaderList);
    }

    /** The handlers of a prior-knowledge connection: the frame codec, then one child channel per stream. */
    private static final class PriorKnowledge extends ChannelInboundHandlerAdapter {
        private final Http2Streams streams;
        private final int maxHeaderList;

        PriorKnowledge(Http2Streams streams, int maxHeaderList) {
            this.streams = streams;
            this.maxHeaderList = maxHeaderList;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Http2FrameCodec codec = frameCodec(maxHeaderList);
            ctx.pipeline().replace(this, null, codec); // the multiplexer looks for the codec when added
            ctx.pipeline().addAfter(ctx.pipeline().context(codec).name(), null, new Http2MultiplexHandler(streams));
        }
    }

    /**
     * Tells {@link HttpTimeouts} when the first stream opens and when the last one closes, from the connection's
     * count of open streams (a stream opened by an upgrade is open before this is added; the count has already
     * changed when a listener hears of an opening or a close). Loop thread.
     */
    private static final class OpenStreams extends Http2ConnectionAdapter {
        private final HttpTimeouts timeouts;
        private final Http2Connection connection;
        private boolean busy;

        OpenStreams(HttpTimeouts timeouts, Http2Connection connection) {
            this.timeouts = timeouts;
            this.connection = connection;
            busy = connection.numActiveStreams() > 0;
            if (busy) {
                timeouts.requestReceived();
            } else {
                timeouts.idle();
            }
        }

        @Override
        public void onStreamActive(Http2Stream stream) {
            if (!busy) {
                busy = true;
                timeouts.requestReceived();
            }
        }

        @Override
        public void onStreamClosed(Http2Stream stream) {
            if (busy && connection.numActiveStreams() == 0) {
                busy = false;
                timeouts.idle();
            }
        }
    }

    /** After the connection became HTTP/2: takes the HTTP/1.1 handler off it. */
    private static final class Switch extends ChannelInboundHandlerAdapter {
        private final AioHttpFileHandler handler;
        private boolean http2;

        Switch(AioHttpFileHandler handler) {
            this.handler = handler;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (!http2 && (evt instanceof HttpServerUpgradeHandler.UpgradeEvent
                    || evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent)) {
                http2 = true;
                ctx.pipeline().remove(handler);
                HttpTimeouts timeouts = ctx.pipeline().get(HttpTimeouts.class);
                Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
                if (timeouts != null && codec != null) {
                    timeouts.http2();
                    codec.connection().addListener(new OpenStreams(timeouts, codec.connection()));
                }
            } else if (http2 && evt instanceof ChannelInputShutdownEvent) {
                // the client can no longer open a window: Netty's close sends GOAWAY and lets open streams end
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        /** What the HTTP/1.1 handler did before it left: a client's reset is quiet, the rest logged; both close. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                LOG.debug("closing {}: {}", ctx.channel(), cause.toString());
            } else {
                LOG.warn("closing {}", ctx.channel(), cause);
            }
            ctx.close();
        }
    }
}

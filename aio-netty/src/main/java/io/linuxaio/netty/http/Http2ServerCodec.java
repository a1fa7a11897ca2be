package io.linuxaio.netty.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * The server's HTTP/2 frame codec: Netty's, with header fields limited to a size, except for what follows a
 * request over that size. Netty answers such a request with a complete 431 response and then, in the same
 * call, resets the stream with PROTOCOL_ERROR. A client may act on the reset first: the JDK's
 * {@code HttpClient} then failed the request with "RST_STREAM received Protocol error" instead of returning
 * the 431, in 1 of 8 runs here. This codec sends the 431 and no reset: the response ends the stream, as
 * HTTP/1.1's 431 ends its exchange. Made on the connection's event loop.
 */
final class Http2ServerCodec {

    private Http2ServerCodec() {
    }

    /** A server codec whose peers may send header fields of up to {@code maxHeaderList} bytes. */
    static Http2FrameCodec create(int maxHeaderList) {
        return new Builder().initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(maxHeaderList)).build();
    }

    private static final class Builder extends Http2FrameCodecBuilder {
        Builder() {
            server(true); // as forServer() sets them: without the zero, a close with streams open waits out 30 s
            gracefulShutdownTimeoutMillis(0);
        }

        @Override
        protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                        Http2Settings initialSettings) {
            Http2FrameCodec codec = new Http2FrameCodec(encoder, decoder, initialSettings, decoupleCloseAndGoAway(),
                    flushPreface()) {
                @Override
                protected void handleServerHeaderDecodeSizeError(ChannelHandlerContext ctx, Http2Stream stream) {
                    super.handleServerHeaderDecodeSizeError(ctx, stream); // the 431, with END_STREAM
                    stream.resetSent(); // what the caller does next is a reset: the stream has ended already
                }
            };
            codec.gracefulShutdownTimeoutMillis(gracefulShutdownTimeoutMillis());
            return codec;
        }
    }
}

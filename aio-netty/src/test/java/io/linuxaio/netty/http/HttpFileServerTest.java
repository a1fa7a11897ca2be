package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.LeakRecorder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bootstrap: the codec and the aggregator come first, then the handlers given; a bad root fails at once. */
@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class HttpFileServerTest {

    static {
        LeakRecorder.install();
    }

    static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }

    /** Answers every request with its method, URI and body length: it sees whole (aggregated) requests. */
    static final class Echo extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String text = request.method() + " " + request.uri() + " " + request.content().readableBytes();
            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            HttpUtil.setContentLength(r, r.content().readableBytes());
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static AioHttpFileHandlerTest.Response send(Channel server, String request) throws IOException {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return AioHttpFileHandlerTest.readResponse(s.getInputStream(), false);
        }
    }

    @Test
    void theGivenHandlersGetWholeRequests() throws Exception {
        Channel server = HttpFileServer.bind(group, "127.0.0.1", 0, p -> p.addLast(new Echo()));
        try {
            AioHttpFileHandlerTest.Response r = send(server, "POST /x?y=1 HTTP/1.1\r\nHost: test\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("POST /x?y=1 7", new String(r.body(), StandardCharsets.UTF_8));
        } finally {
            server.close().sync();
        }
    }

    @Test
    void aBodyLargerThanTheLimitIsRefused() throws Exception {
        Channel server = HttpFileServer.bind(group, "127.0.0.1", 0, p -> p.addLast(new Echo()));
        try {
            AioHttpFileHandlerTest.Response r = send(server, "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: "
                    + (HttpFileServer.MAX_REQUEST_LENGTH + 1) + "\r\n\r\n");
            assertEquals(413, r.status());
        } finally {
            server.close().sync();
        }
    }

    @Test
    void aRootThatIsNotADirectoryFailsBeforeAnythingIsBound(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file.txt"), "not a directory");
        try (EpollAio aio = EpollAio.create(group)) {
            assertThrows(IOException.class, () -> HttpFileServer.bind(group, aio, file, "127.0.0.1", 0));
            assertThrows(IOException.class, () -> HttpFileServer.bind(group, aio, dir.resolve("missing"), "127.0.0.1", 0));
        }
    }
}

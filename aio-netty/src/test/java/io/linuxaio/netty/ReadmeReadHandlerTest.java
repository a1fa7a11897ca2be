package io.linuxaio.netty;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The README's ReadHandler, as written there, serving reads over TCP on a two-loop group. */
@ExtendWith(LeakCheck.class)
class ReadmeReadHandlerTest {

    static {
        LeakRecorder.install();
    }

    @TempDir
    Path dir;

    // ---- from the README, unchanged ----
    public static final class ReadHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final PerLoopFile file;                    // aio.perLoop(path), shared by every channel

        public ReadHandler(PerLoopFile file) {
            this.file = file;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf request) {
            long position = request.readLong();
            ByteBuf dst = ctx.alloc().directBuffer(4096);
            file.forLoop(ctx.channel().eventLoop())
                .thenCompose(f -> AioByteBufs.readAsync(f, position, dst, 4096))   // no copy: the kernel fills dst
                .whenComplete((n, err) -> {                                       // runs on this channel's loop
                    if (err != null) {
                        dst.release();
                        ctx.close();
                    } else {
                        ctx.writeAndFlush(dst);                                   // writerIndex advanced by n
                    }
                });
        }
    }
    // ---- end of the README's code ----

    @Test
    void theReadmeHandlerServesReadsOnEveryLoop() throws Exception {
        byte[] data = TestFiles.random(1 << 16, 21);
        Path p = TestFiles.file(dir, "data", data);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group)) {
            PerLoopFile file = aio.perLoop(p);
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ReadHandler(file));
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            for (int c = 0; c < 4; c++) { // connections land on both loops
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(10_000);
                    long position = 4096L * (c + 3);
                    new DataOutputStream(s.getOutputStream()).writeLong(position);
                    byte[] got = new byte[4096];
                    new DataInputStream(s.getInputStream()).readFully(got);
                    assertArrayEquals(Arrays.copyOfRange(data, (int) position, (int) position + 4096), got);
                }
            }
            server.close().sync();
            file.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

/** Linux AIO completed on a Netty epoll event loop: contexts bound to loops, ByteBufs, file serving. */
module io.linuxaio.netty {
    requires transitive io.linuxaio.core;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.classes.io_uring;
    requires io.netty.transport.unix.common;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.codec.http2;
    requires io.netty.handler;
    requires org.slf4j;

    exports io.linuxaio.netty;
    exports io.linuxaio.netty.http;
}

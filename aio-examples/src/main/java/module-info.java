/** Runnable examples of linux-aio. */
module io.linuxaio.examples {
    requires io.linuxaio.core;
    requires io.linuxaio.netty;
    requires jdk.unsupported;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;

    exports io.linuxaio.examples;
}

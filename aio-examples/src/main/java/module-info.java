/** Runnable examples of linux-aio. */
module io.linuxaio.examples {
    requires io.linuxaio.core;
    requires io.linuxaio.netty;
    requires jdk.unsupported;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires HdrHistogram;

    exports io.linuxaio.examples;
    opens io.linuxaio.examples to info.picocli;
}

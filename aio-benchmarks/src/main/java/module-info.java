/** The fio-comparable load generator and JMH microbenchmarks of linux-aio. */
module io.linuxaio.benchmarks {
    requires io.linuxaio.core;
    requires io.linuxaio.netty;
    requires io.linuxaio.examples;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.classes.io_uring;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.codec.http2;
    requires io.netty.handler;
    requires info.picocli;
    requires HdrHistogram;
    requires jmh.core;
    requires jdk.unsupported;
    requires java.management;

    exports io.linuxaio.benchmarks;
    opens io.linuxaio.benchmarks to info.picocli;
}

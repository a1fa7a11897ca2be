/** Runnable examples of linux-aio. */
module io.linuxaio.examples {
    requires io.linuxaio.core;
    requires io.linuxaio.netty;

    exports io.linuxaio.examples;
}

/**
 * Micrometer meters of linux-aio: {@link io.linuxaio.micrometer.AioMeters} for contexts and context groups,
 * {@link io.linuxaio.micrometer.EpollAioMeters} for the contexts of a Netty loop group (needs aio-netty).
 */
module io.linuxaio.micrometer {
    requires transitive io.linuxaio.core;
    requires transitive micrometer.core;
    // only EpollAioMeters touches them: an application without Netty runs without these modules
    requires static transitive io.linuxaio.netty;
    requires static io.netty.transport;

    exports io.linuxaio.micrometer;
}

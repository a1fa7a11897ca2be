/** A consumer of linux-aio on the module path: what an application's module needs. */
module example.consumer {
    requires io.linuxaio.netty;      // brings io.linuxaio.core (requires transitive)
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
}

/**
 * Linux kernel AIO for Java.
 *
 * <p>{@link io.linuxaio.abi} is the one-to-one binding of {@code <linux/aio_abi.h>};
 * {@link io.linuxaio} is the high-level API whose requests return {@code CompletableFuture}s;
 * {@link io.linuxaio.spi} is what drivers (a Netty event loop, say) implement or call to own contexts.
 */
module io.linuxaio.core {
    requires jdk.jfr;
    requires org.slf4j;

    exports io.linuxaio;
    exports io.linuxaio.abi;
    exports io.linuxaio.spi;
}

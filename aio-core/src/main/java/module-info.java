/**
 * Linux kernel AIO for Java.
 *
 * <p>{@link io.linuxaio.abi} is the one-to-one binding of {@code <linux/aio_abi.h>};
 * {@link io.linuxaio} is the high-level API whose requests return {@code CompletableFuture}s.
 */
module io.linuxaio.core {
    requires org.slf4j;

    exports io.linuxaio;
    exports io.linuxaio.abi;
}

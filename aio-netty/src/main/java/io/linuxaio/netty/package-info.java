/**
 * Linux AIO driven by Netty 4.2 epoll event loops: futures complete on the loop thread, and the loop
 * never waits for the disk.
 *
 * <ul>
 *   <li>{@link io.linuxaio.netty.EpollAio}: one {@link io.linuxaio.AioContext} per loop of an
 *       {@link io.netty.channel.EventLoopGroup} whose loops run {@link io.netty.channel.epoll.EpollIoHandler}
 *       (or the legacy {@link io.netty.channel.epoll.EpollEventLoopGroup}); the context's eventfd is registered
 *       with its loop, which submits and reaps. NIO and io_uring loops are refused.</li>
 *   <li>{@link io.linuxaio.netty.AioByteBufs}: reads into and writes from {@link io.netty.buffer.ByteBuf}s,
 *       without a copy for direct buffers.</li>
 *   <li>{@link io.linuxaio.netty.AioFileTransfer}: a byte range of a file sent to a
 *       {@link io.netty.channel.Channel} with bounded read-ahead, pausing while the channel is not writable.</li>
 * </ul>
 *
 * <p>Threading: requests may be made from any thread; on the loop thread they go into the loop's current
 * batch, which reaches the kernel in one {@code io_submit} when the loop's task ends, and from other threads
 * they are handed to the loop. Callbacks on the futures run on the loop: they must not block.
 *
 * <p>Running: this module depends on Netty's native epoll library for x86_64, aarch64 and riscv64
 * ({@code netty-transport-native-epoll}, classifiers {@code linux-x86_64}, {@code linux-aarch_64},
 * {@code linux-riscv64}). On the class path the machine's one is found; on the module path the application
 * resolves it ({@code --add-modules io.netty.transport.epoll.linux.x86_64}, say). Native access must be
 * enabled for {@code io.linuxaio.core} and {@code io.netty.common} (on the class path: {@code ALL-UNNAMED}).
 */
package io.linuxaio.netty;

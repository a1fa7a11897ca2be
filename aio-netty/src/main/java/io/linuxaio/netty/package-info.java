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
 * <p>Running: Netty's native epoll library ({@code netty-transport-native-epoll} with the classifier of the
 * machine, {@code linux-x86_64} or {@code linux-aarch_64}) must be on the class path or resolved on the module
 * path, and native access enabled for {@code io.linuxaio.core} and {@code io.netty.common}.
 */
package io.linuxaio.netty;

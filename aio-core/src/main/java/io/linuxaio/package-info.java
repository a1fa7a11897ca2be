/**
 * The high-level API of linux-aio: {@link io.linuxaio.AioContext} (a kernel AIO context, its eventfd,
 * request slots, batching and completion reaping), {@link io.linuxaio.AioFile} whose reads, writes and
 * syncs return {@code CompletableFuture}s, poll on any descriptor, aligned buffers for O_DIRECT, and
 * metrics.
 *
 * <p>Threading: every context has one owner thread that submits and reaps; calls from other threads
 * are handed to it in batches. Futures complete on the owner thread (the library's completion thread,
 * or a Netty event loop with {@code aio-netty}).
 */
package io.linuxaio;

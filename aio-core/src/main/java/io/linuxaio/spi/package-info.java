/**
 * What a driver implements or calls to own contexts: {@link io.linuxaio.spi.AioOwner}, the thread that
 * submits and reaps (a Netty event loop, say), and {@link io.linuxaio.spi.AioDriver}, made for an owner,
 * which gives the eventfd to watch, the owner's turn to run, and the teardown of an owner that goes away.
 * Users of contexts do not need this package.
 */
package io.linuxaio.spi;

/**
 * An HTTP/1.1 static file server built on the loop glue of {@link io.linuxaio.netty}: an application of
 * it, not part of it. {@link io.linuxaio.netty.http.AioHttpFileHandler} answers GET and HEAD (ranges,
 * conditional requests, keep-alive, pipelining) without ever blocking its event loop: files are opened on
 * the context's blocking pool and their bytes streamed through AIO with
 * {@link io.linuxaio.netty.AioFileTransfer}. {@link io.linuxaio.netty.http.HttpFileServer} binds a server
 * whose connections carry Netty's HTTP codec, an aggregator and the handler.
 *
 * <p>Threading: a handler's work runs on its channel's event loop, as a Netty handler's does (completions
 * that arrive on another context's owner thread are handed to that loop); open files are cached per AIO
 * context and touched only on its owner thread.
 */
package io.linuxaio.netty.http;

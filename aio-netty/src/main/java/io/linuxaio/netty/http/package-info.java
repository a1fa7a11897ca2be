/**
 * An HTTP/1.1 static file server built on the loop glue of {@link io.linuxaio.netty}: an application of
 * it, not part of it. {@link io.linuxaio.netty.http.AioHttpFileHandler} answers GET and HEAD as RFC 9110 and
 * nginx do (preconditions, ranges, directories, content types, keep-alive, pipelining) without ever blocking
 * its event loop: files are found and opened on the context's blocking pool and their bytes streamed through
 * AIO with {@link io.linuxaio.netty.AioFileTransfer}. {@link io.linuxaio.netty.http.HttpTimeouts} cuts slow
 * clients off; {@link io.linuxaio.netty.http.HttpFileServer} binds a server whose connections carry both and
 * Netty's HTTP codec.
 *
 * <p>One concern per class: the request's checks and path ({@code RequestTarget}), finding and opening the
 * file ({@code FileResolver}, on the blocking pool), preconditions ({@code Conditionals}), ranges
 * ({@code ByteRanges}), types ({@code ContentTypes}), the answer ({@code FileResponse}), and a connection's
 * order of requests ({@code HttpConnection}).
 *
 * <p>Threading: a handler's work for a channel runs on that channel's event loop, as a Netty handler's does
 * (completions that arrive on another context's owner thread are handed to that loop); open files are cached
 * per AIO context and touched only on its owner thread.
 */
package io.linuxaio.netty.http;

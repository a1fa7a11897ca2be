package io.linuxaio.netty.http;

import io.linuxaio.AioFile;
import io.linuxaio.netty.AioFileTransfer;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The answer of one GET or HEAD of an open file: the preconditions (304, 412), then the whole file (200),
 * one range (206), several ranges ({@code multipart/byteranges}) or none satisfiable (416). The body is
 * streamed through AIO ({@link AioFileTransfer}), or, for a short tail of the file that the page cache holds,
 * sent with {@code sendfile} ({@link CachedFileRegion}). Runs on the channel's event loop, as its connection does.
 */
final class FileResponse {

    private FileResponse() {
    }

    /** Answers {@code request} with the leased file; the connection is told when the response is written. */
    static void send(HttpConnection conn, OpenFileCache.Lease lease, HttpHeaders request, boolean head, String type) {
        AioFile file = lease.file;
        AioFile.FileAttributes attrs;
        try {
            attrs = file.attributes(); // statx of an open descriptor: no disk access
        } catch (IOException e) {
            lease.release();
            FileResolver.statusOf(e, file.path());
            conn.sendError(HttpResponseStatus.INTERNAL_SERVER_ERROR);
            return;
        }
        long size = attrs.size();
        String etag = "\"" + Long.toHexString(attrs.lastModifiedNanos()) + "-" + Long.toHexString(size) + "\"";
        long lastModified = Math.floorDiv(attrs.lastModifiedMillis(), 1000);
        String lastModifiedText = HttpDates.format(lastModified);

        Conditionals.Outcome outcome = Conditionals.evaluate(request, etag, lastModified);
        if (outcome != Conditionals.Outcome.PROCEED) {
            lease.release();
            if (outcome == Conditionals.Outcome.PRECONDITION_FAILED) {
                conn.sendError(HttpResponseStatus.PRECONDITION_FAILED);
                return;
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
            validators(r.headers(), lease, etag, lastModifiedText);
            conn.send(r); // no Content-Length: a 304 states no length but the representation's
            return;
        }

        List<long[]> ranges = Conditionals.rangeApplies(request, etag, lastModified)
                ? ByteRanges.parse(request.get(HttpHeaderNames.RANGE), size) : null;
        if (ranges == ByteRanges.UNSATISFIABLE) {
            lease.release();
            FullHttpResponse e = conn.error(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
            e.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
            conn.send(e);
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                ranges == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
        HttpHeaders h = response.headers();
        validators(h, lease, etag, lastModifiedText);
        if (ranges == null) {
            h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
            body(conn, response, type, lease, head, new long[][] {{0, size - 1}}, size, null);
        } else if (ranges.size() == 1) {
            long[] r = ranges.get(0);
            h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + r[0] + "-" + r[1] + "/" + size);
            body(conn, response, type, lease, head, new long[][] {r}, size, null);
        } else {
            String boundary = String.format("%020d", ThreadLocalRandom.current().nextLong(Long.MAX_VALUE)); // as long as nginx's
            body(conn, response, type, lease, head, ranges.toArray(long[][]::new), size, boundary);
        }
    }

    private static void validators(HttpHeaders h, OpenFileCache.Lease lease, String etag, String lastModified) {
        h.set(HttpHeaderNames.ETAG, etag);
        h.set(HttpHeaderNames.LAST_MODIFIED, lastModified);
        if (lease.encoding != null) {
            h.set(HttpHeaderNames.CONTENT_ENCODING, lease.encoding);
        }
        if (lease.vary) {
            h.set(HttpHeaderNames.VARY, "Accept-Encoding");
        }
    }

    /** Writes the head, then the ranges (as parts of a multipart body when {@code boundary} is set). */
    private static void body(HttpConnection conn, HttpResponse response, String type, OpenFileCache.Lease lease,
                             boolean head, long[][] ranges, long size, String boundary) {
        HttpHeaders h = response.headers();
        byte[][] partHeads = null;
        long length = 0;
        if (boundary == null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, type);
            length = size == 0 ? 0 : ranges[0][1] - ranges[0][0] + 1;
        } else {
            h.set(HttpHeaderNames.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary);
            partHeads = new byte[ranges.length + 1][];
            for (int i = 0; i < ranges.length; i++) {
                partHeads[i] = ("\r\n--" + boundary + "\r\nContent-Type: " + type + "\r\nContent-Range: bytes "
                        + ranges[i][0] + "-" + ranges[i][1] + "/" + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                length += partHeads[i].length + ranges[i][1] - ranges[i][0] + 1;
            }
            partHeads[ranges.length] = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
            length += partHeads[ranges.length].length;
        }
        h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        if (lease.encoding == null && conn.compressorInPipeline()) {
            // Netty's HttpContentEncoder passes a response marked identity through (and drops the mark):
            // it cannot compress a body written as plain buffers, and a range of a compressed body is no range
            h.set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.IDENTITY);
        }
        ChannelFuture headWritten = conn.writeHead(response);
        if (head || length == 0) {
            lease.release();
            conn.finish();
            return;
        }
        Channel ch = conn.channel();
        CompletableFuture<Long> sent = CompletableFuture.completedFuture(0L);
        long bodyLength = length;
        long[][] aioRanges = ranges;
        if (partHeads == null && ranges[0][1] == size - 1 && CachedFileRegion.applies(ch, lease.file, ranges[0][0], size)) {
            // all cached to the end of the file: sendfile, as nginx, with no copy through the JVM; in pieces,
            // whose promises complete one by one (in order: the last one completes once all are written)
            CompletableFuture<Long> whole = new CompletableFuture<>();
            ChannelFuture last = null;
            for (long off = 0; off < bodyLength; off += CachedFileRegion.PIECE) {
                last = ch.write(CachedFileRegion.of(ch, lease.file, ranges[0][0] + off,
                        Math.min(CachedFileRegion.PIECE, bodyLength - off)));
            }
            ch.flush();
            last.addListener(f -> {
                if (f.isSuccess()) {
                    whole.complete(bodyLength);
                } else {
                    whole.completeExceptionally(f.cause());
                }
            });
            sent = whole;
            aioRanges = new long[0][];
        } else if (partHeads == null && conn.pooledSendfile() && PooledSendfile.applies(ch, lease.file)) {
            // the rest of a single range: sendfile on the blocking pool, as nginx's aio threads, once the head is out
            CompletableFuture<Long> whole = new CompletableFuture<>();
            long from = ranges[0][0];
            ch.flush();
            headWritten.addListener(f -> {
                if (!f.isSuccess()) {
                    whole.completeExceptionally(f.cause());
                    return;
                }
                PooledSendfile.send(ch, conn.context(), lease.file, conn.timeouts(), from, bodyLength)
                        .whenComplete((n, err) -> {
                            if (err != null) {
                                whole.completeExceptionally(err);
                            } else {
                                whole.complete(n);
                            }
                        });
            });
            sent = whole;
            aioRanges = new long[0][];
        }
        for (int i = 0; i < aioRanges.length; i++) {
            long[] r = aioRanges[i];
            byte[] partHead = partHeads == null ? null : partHeads[i];
            sent = sent.thenCompose(n -> {
                if (partHead != null) {
                    ch.write(Unpooled.wrappedBuffer(partHead));
                }
                return AioFileTransfer.send(ch, lease.file, r[0], r[1] - r[0] + 1);
            });
        }
        byte[] tail = partHeads == null ? null : partHeads[ranges.length];
        sent.whenComplete((n, err) -> conn.onLoop(() -> {
            lease.release();
            if (err != null) {
                ch.close(); // the head is out: the only honest end of a broken body is closing the connection
                return;
            }
            if (tail != null) {
                ch.write(Unpooled.wrappedBuffer(tail));
            }
            conn.finish();
        }));
    }
}

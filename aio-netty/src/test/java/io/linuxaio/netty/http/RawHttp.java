package io.linuxaio.netty.http;

import io.linuxaio.netty.EpollAio;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A file server on a loop of its own, and an HTTP/1.1 client over raw sockets that sends bytes as given. */
final class RawHttp implements AutoCloseable {

    /** A response: header names in lower case (several values of one name joined by ", "). */
    record Response(int status, String version, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    final EventLoopGroup group;
    final EpollAio aio;
    final Channel server;

    private RawHttp(EventLoopGroup group, EpollAio aio, Channel server) {
        this.group = group;
        this.aio = aio;
        this.server = server;
    }

    /** Serves {@code root} with the default handler and options. */
    static RawHttp serve(Path root) throws Exception {
        return serve(root, b -> b, HttpFileServer.Options.DEFAULT);
    }

    /** Serves {@code root} with the handler {@code settings} makes of a builder, under {@code options}. */
    static RawHttp serve(Path root, java.util.function.UnaryOperator<AioHttpFileHandler.Builder> settings,
                         HttpFileServer.Options options) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EpollAio aio = EpollAio.create(group).bindAll();
        try {
            AioHttpFileHandler handler = settings.apply(AioHttpFileHandler.builder(root).aio(aio)).build();
            return new RawHttp(group, aio, HttpFileServer.bind(group, handler, "127.0.0.1", 0, options));
        } catch (Exception e) {
            aio.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            throw e;
        }
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** A new connection to the server. */
    Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", port());
        s.setSoTimeout(20_000);
        return s;
    }

    /** One GET (with the headers given) on a new connection. */
    Response get(String target, String... headers) throws IOException {
        return exchange(request("GET", target, headers), false).get(0);
    }

    /** Sends {@code requests} on a new connection and reads every response until the server closes. */
    List<Response> exchange(String requests, boolean head) throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            List<Response> rs = new java.util.ArrayList<>();
            for (Response r = read(in, head); r != null; r = read(in, head)) {
                rs.add(r);
            }
            return rs;
        }
    }

    /** An HTTP/1.1 request with a Host header, then the headers given. */
    static String request(String method, String target, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: test\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** The next response on {@code in}, or null when the connection ends first. */
    static Response read(InputStream in, boolean head) throws IOException {
        String status = line(in);
        if (status == null) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int c = l.indexOf(':');
            headers.merge(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim(), (a, b) -> a + ", " + b);
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        boolean empty = head || code == 304 || code == 204;
        int len = empty ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(len);
        if (body.length != len) {
            throw new IOException("body cut short: " + body.length + " of " + len);
        }
        return new Response(code, status.split(" ")[0], headers, body);
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Stops the server; a quiet period, so that Netty closes the connections still open (some linger after a 400). */
    @Override
    public void close() throws Exception {
        server.close().sync();
        aio.close();
        group.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS).sync();
    }
}

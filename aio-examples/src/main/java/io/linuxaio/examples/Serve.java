package io.linuxaio.examples;

import io.linuxaio.netty.EpollAio;
import io.linuxaio.netty.http.AioHttpFileHandler;
import io.linuxaio.netty.http.HttpFileServer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A static file server on Netty epoll loops that never blocks them: files are opened on a blocking pool
 * and read through Linux AIO, then streamed with bounded read-ahead.
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.Serve -Dexec.args="/var/www --port 8080"</pre>
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Serves a directory over HTTP/1.1, and cleartext HTTP/2 with --http2 (GET, HEAD, ranges, ETag) with Linux AIO on Netty epoll loops.")
public final class Serve implements Callable<Integer> {

    @Parameters(index = "0", defaultValue = ".", description = "the directory to serve (default: the current directory)")
    Path directory;

    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "the port (default: ${DEFAULT-VALUE}; 0 picks one)")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "the address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 serves every network)")
    String host;

    @Option(names = "--precompressed", description = "serve a.js.br or a.js.gz for a.js when the client accepts it")
    boolean precompressed;

    @Option(names = "--dotfiles", description = "serve names that start with a dot (.git, .env); default: 404")
    boolean dotfiles;

    @Option(names = "--listing", defaultValue = "OFF",
            description = "list directories without an index.html: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, 403)")
    AioHttpFileHandler.Listing listing;

    @Option(names = "--http2", description = "serve cleartext HTTP/2 (h2c) too: with prior knowledge or Upgrade: h2c")
    boolean http2;

    @Option(names = "--loops", defaultValue = "0", description = "event loops (default: 0, twice the cores)")
    int loops;

    @Spec
    CommandSpec spec;

    /** A running server. */
    public static final class Server implements AutoCloseable {
        private final EventLoopGroup group;
        private final EpollAio aio;
        private final Channel channel;

        Server(EventLoopGroup group, EpollAio aio, Channel channel) {
            this.group = group;
            this.aio = aio;
            this.channel = channel;
        }

        /** The port the server listens on. */
        public int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        /** Blocks until the server channel closes. */
        public void awaitClose() throws InterruptedException {
            channel.closeFuture().sync();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            aio.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Starts serving {@code directory} on {@code host:port} (port 0 picks a free one). */
    public static Server start(Path directory, String host, int port, int loops) throws Exception {
        return start(directory, host, port, loops, b -> b);
    }

    /** As {@link #start(Path, String, int, int)}, with the handler's settings changed by {@code settings}. */
    public static Server start(Path directory, String host, int port, int loops,
                               UnaryOperator<AioHttpFileHandler.Builder> settings) throws Exception {
        return start(directory, host, port, loops, settings, HttpFileServer.Options.DEFAULT);
    }

    /** As {@link #start(Path, String, int, int, UnaryOperator)}, with the connections' {@code options}. */
    public static Server start(Path directory, String host, int port, int loops,
                               UnaryOperator<AioHttpFileHandler.Builder> settings, HttpFileServer.Options options) throws Exception {
        Path root = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(directory.toString());
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 0 and 65535");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, EpollIoHandler.newFactory());
        EpollAio aio = EpollAio.create(group);
        try {
            AioHttpFileHandler handler = settings.apply(AioHttpFileHandler.builder(root).aio(aio)).build();
            aio.bindAll(); // every loop's AIO context before the first request
            Channel ch = HttpFileServer.bind(group, handler, host, port, options);
            return new Server(group, aio, ch);
        } catch (Exception e) {
            aio.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            // the root was checked: an I/O error here is the address (in use, not ours, not a name)
            if (e instanceof IOException || e instanceof UnresolvedAddressException) {
                String reason = e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage().substring(e.getMessage().lastIndexOf(": ") + 1).trim();
                throw new IOException("cannot listen on " + host + ":" + port + ": " + reason, e);
            }
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be within 0..65535, not " + port);
        }
        if (loops < 0) {
            throw new ParameterException(spec.commandLine(), "--loops must not be negative");
        }
        ExampleSupport.directory(directory.toAbsolutePath().normalize()); // a user error in one line: exit 1
        try (Server server = start(directory, host, port, loops, b -> b.precompressed(precompressed).dotfiles(dotfiles).listing(listing),
                HttpFileServer.Options.DEFAULT.withHttp2(http2))) {
            System.out.printf("serving %s on http://%s:%d/%s (Ctrl-C to stop)%n", directory.toAbsolutePath().normalize(),
                    host.equals("0.0.0.0") ? "127.0.0.1" : host, server.port(), http2 ? " (HTTP/1.1 and h2c)" : "");
            server.awaitClose();
        }
        return 0;
    }

    public static void main(String[] args) {
        ExampleSupport.main(new Serve(), args);
    }

    /** Runs the command line as {@link #main} does, without exiting: the exit code. */
    static int run(String... args) {
        return ExampleSupport.commandLine(new Serve()).execute(args);
    }
}

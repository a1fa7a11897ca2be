package example.consumer;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.netty.EpollAio;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Writes and reads back a file twice: on the library's own completion thread, then on a Netty epoll
 * loop. Prints one line per round and exits 0 when both read back what they wrote.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("linux-aio-consumer");
        Path path = dir.resolve("data");
        byte[] data = "hello from a linux-aio consumer\n".getBytes(StandardCharsets.UTF_8);
        try {
            try (AioContext context = AioContext.open(); AioFile file = context.open(path, READ, WRITE, CREATE)) {
                System.out.println("completion thread: " + roundTrip(file, data));
            }
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            try (EpollAio aio = EpollAio.create(group)) {
                EventLoop loop = group.next();
                try (AioFile file = aio.open(loop, path, READ, WRITE)) {
                    System.out.println("epoll loop: " + roundTrip(file, data));
                }
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        } finally {
            Files.deleteIfExists(path);
            Files.delete(dir);
        }
        System.out.println("modular-consumer: ok (" + (Main.class.getModule().isNamed() ? "module path" : "class path") + ")");
    }

    private static String roundTrip(AioFile file, byte[] data) {
        ByteBuffer src = ByteBuffer.allocateDirect(data.length).put(data).flip();
        ByteBuffer dst = ByteBuffer.allocateDirect(data.length);
        String[] thread = new String[1];
        int read = file.writeAsync(0, src)
                .thenCompose(n -> file.readAsync(0, dst))
                .whenComplete((n, e) -> thread[0] = Thread.currentThread().getName())
                .join();
        byte[] back = new byte[read];
        dst.flip().get(back);
        if (!java.util.Arrays.equals(back, data)) {
            throw new AssertionError("read back " + read + " bytes that differ from what was written");
        }
        return "wrote and read back " + read + " bytes, completed on " + thread[0];
    }
}

package io.linuxaio.micrometer;

import io.linuxaio.AioFile;
import io.linuxaio.netty.EpollAio;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EpollAioMetersTest {

    @TempDir
    Path dir;

    static double read(MeterRegistry r, String loop) {
        return r.get("linuxaio.bytes.read").tags("context", "http", "loop", loop).functionCounter().count();
    }

    @Test
    void theSumAndEachLoop() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EpollAio aio = EpollAio.create(group)) {
            new EpollAioMeters(aio, "http").bindTo(registry);
            assertEquals(0, read(registry, "all"));
            assertEquals(0, read(registry, "1")); // a scrape creates no context

            EventLoop second = aio.loops().get(1);
            Path p = Files.write(dir.resolve("f"), new byte[3000]);
            try (AioFile f = aio.open(second, p)) {
                assertEquals(3000, f.readAsync(0, ByteBuffer.allocate(3000)).get(10, TimeUnit.SECONDS));
            }
            assertEquals(3000, read(registry, "1"));
            assertEquals(0, read(registry, "0"));
            assertEquals(3000, read(registry, "all"));
            assertEquals(aio.metrics().completed(), registry.get("linuxaio.requests.completed")
                    .tags("context", "http", "loop", "all").functionCounter().count());
            assertEquals(aio.metrics(second).ioSubmitCalls(), registry.get("linuxaio.syscalls")
                    .tags("loop", "1", "call", "io_submit").functionCounter().count());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        assertEquals(3000, read(registry, "all")); // closed contexts keep their counts
    }
}

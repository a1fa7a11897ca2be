package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.testing.EngineScenarios;
import io.linuxaio.testing.LeakCheck;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The engine scenarios on Netty io_uring event loops, as on epoll ones: each context bound to a loop of a real group. */
@ExtendWith(LeakCheck.class)
class IoUringScenariosTest extends EngineScenarios {

    static EventLoopGroup group;
    static final Map<AioContext, EventLoop> LOOPS = new ConcurrentHashMap<>();

    @BeforeAll
    static void startGroup() {
        Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here (seccomp, or "
                + "kernel.io_uring_disabled): " + IoUring.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(2, IoUringIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() throws Exception {
        LOOPS.clear();
        if (group == null) {
            return;
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Override
    protected AioContext open(AioContext.Builder builder) throws IOException {
        EventLoop loop = group.next();
        AioContext ctx = EpollAio.bind(loop, builder);
        LOOPS.put(ctx, loop);
        return ctx;
    }

    @Override
    protected boolean isOwnerThread(AioContext context, Thread thread) {
        EventLoop loop = LOOPS.get(context);
        return loop != null && loop.inEventLoop(thread);
    }
}

package io.linuxaio;

import io.linuxaio.abi.AioLimits;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link AioAsynchronousFileChannel} does that the JDK's channel has no counterpart for: its default
 * context, the thread that runs its handlers, and waits that would never end on that thread.
 */
@ExtendWith(LeakCheck.class)
class AioAsynchronousFileChannelTest {

    @TempDir
    Path dir;

    @Test
    void theDefaultContextOutlivesItsLastChannel() throws Exception {
        Path p = TestFiles.file(dir, "cycle", new byte[100]);
        AioContext first;
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ)) {
            first = ch.file().context();
            assertFalse(AioAsynchronousFileChannel.releaseDefaultContext(), "a channel still uses it");
        }
        long aioNr = AioLimits.aioNr();
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ)) {
                assertSame(first, ch.file().context());
            }
        }
        // a context per cycle cost 36-40 ms (io_destroy); with one kept, a cycle is tens of microseconds
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 2000, "200 open+close cycles took " + millis + " ms");
        assertEquals(aioNr, AioLimits.aioNr(), "a kernel context was made or destroyed by open+close");
        assertTrue(first.isOpen());
        assertTrue(AioAsynchronousFileChannel.releaseDefaultContext());
        assertFalse(first.isOpen());
        assertFalse(AioAsynchronousFileChannel.releaseDefaultContext(), "there is none left to release");
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ)) {
            assertTrue(ch.file().context().isOpen(), "a new one is made");
            assertEquals(10, await(ch.read(ByteBuffer.allocate(10), 0)));
        }
    }

    /** The factory that {@link #theThreadFactoryPropertyMakesTheDefaultThread} names in the JDK's property. */
    public static final class NamingThreadFactory implements ThreadFactory {
        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "made-by-the-property's-factory");
            t.setDaemon(true);
            return t;
        }
    }

    @Test
    void theThreadFactoryPropertyMakesTheDefaultThread() throws Exception {
        Path p = TestFiles.file(dir, "factory", new byte[100]);
        AioAsynchronousFileChannel.releaseDefaultContext(); // the property counts when the context is made
        System.setProperty(DefaultChannelContext.THREAD_FACTORY_PROPERTY, NamingThreadFactory.class.getName());
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ)) {
            CompletableFuture<String> thread = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer result, Object attachment) {
                    thread.complete(Thread.currentThread().getName());
                }

                @Override
                public void failed(Throwable exc, Object attachment) {
                    thread.completeExceptionally(exc);
                }
            });
            assertEquals("made-by-the-property's-factory", await(thread));
        } finally {
            System.clearProperty(DefaultChannelContext.THREAD_FACTORY_PROPERTY);
            AioAsynchronousFileChannel.releaseDefaultContext();
        }
        System.setProperty(DefaultChannelContext.THREAD_FACTORY_PROPERTY, "no.such.Factory");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> AioAsynchronousFileChannel.open(p, READ));
            assertTrue(e.getMessage().contains("no.such.Factory"), e.getMessage());
        } finally {
            System.clearProperty(DefaultChannelContext.THREAD_FACTORY_PROPERTY);
        }
    }

    @Test
    void aThreadFactoryThatFailsLeavesNoContext() {
        long aioNr = AioLimits.aioNr();
        long nativeBytes = AioContext.liveNativeBytes();
        assertThrows(IllegalStateException.class, () -> AioContext.builder().threadFactory(r -> null).build());
        assertThrows(UnsupportedOperationException.class, () -> AioContext.builder().threadFactory(r -> {
            throw new UnsupportedOperationException("no threads here");
        }).build());
        assertEquals(aioNr, AioLimits.aioNr());
        assertEquals(nativeBytes, AioContext.liveNativeBytes());
    }

    @Test
    void waitingForARequestOnTheOwnerThreadThrowsInsteadOfHanging() throws Exception {
        Path p = TestFiles.file(dir, "wait", new byte[100]);
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ)) {
            CompletableFuture<Throwable> refused = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer result, Object attachment) {
                    try {
                        ch.read(ByteBuffer.allocate(10), 0).get();
                        refused.complete(null);
                    } catch (Throwable t) {
                        refused.complete(t);
                    }
                }

                @Override
                public void failed(Throwable exc, Object attachment) {
                    refused.complete(exc);
                }
            });
            assertInstanceOf(IllegalStateException.class, await(refused, "the wait on the owner", Duration.ofSeconds(10)));
            assertEquals(10, await(ch.read(ByteBuffer.allocate(10), 0)), "the owner still serves");
        }
    }
}

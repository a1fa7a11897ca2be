package io.linuxaio;

import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.LockHolder;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.Futures.failure;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same behaviour, asserted against the JDK's {@link AsynchronousFileChannel} and against
 * {@link AioAsynchronousFileChannel}: contents, return values and exception types must agree.
 */
@ExtendWith(LeakCheck.class)
class AsynchronousFileChannelConformanceTest {

    enum Impl {
        JDK {
            @Override
            AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException {
                return AsynchronousFileChannel.open(p, o);
            }
        },
        LINUX_AIO {
            @Override
            AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException {
                return AioAsynchronousFileChannel.open(p, o);
            }

            @Override
            AsynchronousFileChannel open(Path p, Set<? extends OpenOption> o, ExecutorService e) throws IOException {
                return AioAsynchronousFileChannel.open(p, o, e);
            }

            @Override
            boolean onHandlerThread(AsynchronousFileChannel ch, Thread caller) {
                return ((AioAsynchronousFileChannel) ch).file().context().inOwnerThread();
            }
        };

        abstract AsynchronousFileChannel open(Path p, OpenOption... o) throws IOException;

        /** The form whose handlers run on {@code e}. */
        AsynchronousFileChannel open(Path p, Set<? extends OpenOption> o, ExecutorService e) throws IOException {
            return AsynchronousFileChannel.open(p, o, e);
        }

        /**
         * Whether the calling thread (inside a handler of {@code ch}) is where the implementation promises
         * to run handlers: a pooled thread of the JDK's default group, never the caller; the context's owner.
         */
        boolean onHandlerThread(AsynchronousFileChannel ch, Thread caller) {
            return Thread.currentThread() != caller;
        }
    }

    /** How long a test waits for what would hang before a fix: short, so that a hang fails fast. */
    private static final Duration HANG = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void writeThenReadBack(Impl impl) throws Exception {
        Path p = dir.resolve("f");
        byte[] data = TestFiles.random(100_000, 41);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE, CREATE)) {
            ByteBuffer src = ByteBuffer.wrap(data);
            assertEquals(data.length, await(ch.write(src, 0)));
            assertEquals(data.length, src.position());
            assertEquals(data.length, ch.size());
            ByteBuffer dst = ByteBuffer.allocate(1000);
            assertEquals(1000, await(ch.read(dst, 500)));
            assertEquals(1000, dst.position());
            assertArrayEquals(Arrays.copyOfRange(data, 500, 1500), dst.array());
            ByteBuffer direct = ByteBuffer.allocateDirect(10);
            assertEquals(10, await(ch.read(direct, 0)));
            assertEquals(data[9], direct.get(9));
        }
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void endOfFileAndEmptyBuffers(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "e", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            assertEquals(-1, await(ch.read(ByteBuffer.allocate(10), 100)));
            assertEquals(-1, await(ch.read(ByteBuffer.allocate(10), 5000)));
            assertEquals(40, await(ch.read(ByteBuffer.allocate(50), 60)));
            assertEquals(0, await(ch.read(ByteBuffer.allocate(0), 0)));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void badArgumentsAndAccessModes(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "b", new byte[100]);
        try (AsynchronousFileChannel ro = impl.open(p, READ); AsynchronousFileChannel wo = impl.open(p, WRITE)) {
            assertThrows(IllegalArgumentException.class, () -> ro.read(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> wo.write(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> ro.read(ByteBuffer.allocate(1).asReadOnlyBuffer(), 0));
            assertThrows(NullPointerException.class, () -> ro.read(null, 0));
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0));
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0));
            assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
            assertThrows(IllegalArgumentException.class, () -> wo.truncate(-1));
            assertThrows(NonWritableChannelException.class, () -> ro.tryLock(0, 10, false));
            assertThrows(NonReadableChannelException.class, () -> wo.tryLock(0, 10, true));
        }
        assertThrows(UnsupportedOperationException.class, () -> impl.open(p, WRITE, APPEND));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void aClosedChannelFailsRequests(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "c", new byte[100]);
        AsynchronousFileChannel ch = impl.open(p, READ, WRITE);
        assertTrue(ch.isOpen());
        ch.close();
        ch.close();
        assertFalse(ch.isOpen());
        assertInstanceOf(ClosedChannelException.class, failure(ch.read(ByteBuffer.allocate(1), 0)));
        assertInstanceOf(ClosedChannelException.class, failure(ch.write(ByteBuffer.allocate(1), 0)));
        assertThrows(ClosedChannelException.class, ch::size);
        assertThrows(ClosedChannelException.class, () -> ch.force(true));
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        ch.read(ByteBuffer.allocate(1), 0, "att", new CompletionHandler<Integer, String>() {
            @Override
            public void completed(Integer result, String attachment) {
                failed.complete(null);
            }

            @Override
            public void failed(Throwable exc, String attachment) {
                failed.complete("att".equals(attachment) ? exc : null);
            }
        });
        assertInstanceOf(ClosedChannelException.class, await(failed));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void completionHandlersGetTheResultAndTheAttachment(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "h", TestFiles.random(64, 42));
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            CompletableFuture<String> done = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(64), 0, 7, new CompletionHandler<Integer, Integer>() {
                @Override
                public void completed(Integer result, Integer attachment) {
                    done.complete(result + "/" + attachment);
                }

                @Override
                public void failed(Throwable exc, Integer attachment) {
                    done.completeExceptionally(exc);
                }
            });
            assertEquals("64/7", await(done));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sizeTruncateAndForce(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "s", new byte[1000]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            assertEquals(1000, ch.size());
            assertSame(ch, ch.truncate(2000)); // never grows the file
            assertEquals(1000, ch.size());
            ch.truncate(10);
            assertEquals(10, ch.size());
            ch.force(true);
            ch.force(false);
        }
        assertEquals(10, Files.size(p));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void locks(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "l", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            FileLock lock = ch.tryLock(0, 10, false);
            assertNotNull(lock);
            assertSame(ch, lock.acquiredBy());
            assertTrue(lock.isValid());
            assertFalse(lock.isShared());
            assertThrows(OverlappingFileLockException.class, () -> ch.tryLock(5, 10, false));
            lock.release();
            assertFalse(lock.isValid());
            FileLock shared = await(ch.lock(20, 10, true));
            assertTrue(shared.isShared());
            assertEquals(20, shared.position());
            shared.release();
        }
    }

    @Test
    void directIoWhichTheJdkChannelOffersOnlyWithoutAlignmentHelp() throws Exception {
        Path p = TestFiles.file(dir, "d", TestFiles.random(1 << 16, 43));
        try (AioAsynchronousFileChannel ch = AioAsynchronousFileChannel.open(p, READ, AioOpenOption.DIRECT)) {
            int align = ch.file().alignment().offsetAlignment();
            ByteBuffer b = ch.file().allocateAligned(align * 2);
            assertEquals(align * 2, await(ch.read(b, align)));
            assertEquals(Files.readAllBytes(p)[align], b.get(0));
            assertThrows(IllegalArgumentException.class, () -> ch.read(ch.file().allocateAligned(align), 1));
            ByteBuffer heap = ByteBuffer.allocate(align);
            assertEquals(align, await(ch.read(heap, 0)));
            assertEquals(-1, await(ch.read(ch.file().allocateAligned(align), 1 << 16)));
        }
    }

    @Test
    void blockingReadsOnVirtualThreadsPark() throws Exception {
        Path p = TestFiles.file(dir, "v", TestFiles.random(1 << 20, 44));
        byte[] data = Files.readAllBytes(p);
        try (AioContext ctx = AioContext.open(); AioFile f = ctx.open(p);
             var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int pos = (i * 4099) % (data.length - 4096);
                results.add(exec.submit(() -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    return f.read(pos, b) == 4096 && b.get(0) == data[pos] && b.get(4095) == data[pos + 4095];
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(await(r));
            }
            // on the owner thread a blocking call would wait for itself
            CompletableFuture<Throwable> onOwner = new CompletableFuture<>();
            ctx.ownerExecutor().execute(() -> {
                try {
                    f.read(0, ByteBuffer.allocateDirect(1));
                    onOwner.complete(null);
                } catch (Throwable t) {
                    onOwner.complete(t);
                }
            });
            assertInstanceOf(IllegalStateException.class, await(onOwner));
        }
    }

    /** A blocking method of the channel, called inside a completion handler. */
    enum BlockingCall {
        FORCE {
            @Override
            Object call(AsynchronousFileChannel ch) throws Exception {
                ch.force(true);
                ch.force(false);
                return "forced";
            }
        },
        TRUNCATE {
            @Override
            Object call(AsynchronousFileChannel ch) throws Exception {
                return ch.truncate(500).size();
            }
        },
        SIZE {
            @Override
            Object call(AsynchronousFileChannel ch) throws Exception {
                return ch.size();
            }
        },
        LOCK {
            @Override
            Object call(AsynchronousFileChannel ch) throws Exception {
                FileLock lock = ch.lock().get(HANG.toSeconds(), TimeUnit.SECONDS);
                lock.release();
                return lock.size();
            }
        },
        TRY_LOCK {
            @Override
            Object call(AsynchronousFileChannel ch) throws Exception {
                FileLock lock = ch.tryLock();
                lock.release();
                return lock.size();
            }
        };

        abstract Object call(AsynchronousFileChannel ch) throws Exception;
    }

    static Stream<Arguments> implsAndBlockingCalls() {
        return Stream.of(Impl.values()).flatMap(i -> Stream.of(BlockingCall.values()).map(c -> Arguments.of(i, c)));
    }

    @ParameterizedTest
    @MethodSource("implsAndBlockingCalls")
    void blockingMethodsWorkInsideAHandler(Impl impl, BlockingCall call) throws Exception {
        Path p = TestFiles.file(dir, "in-handler", new byte[1000]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            CompletableFuture<Object> result = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, handler(n -> result.complete(call.call(ch)), result));
            Object value = await(result, call + " inside a handler", HANG);
            Object expected = switch (call) {
                case FORCE -> "forced";
                case TRUNCATE -> 500L;
                case SIZE -> 1000L;
                case LOCK, TRY_LOCK -> Long.MAX_VALUE;
            };
            assertEquals(expected, value);
            // the channel (and its context) still serves requests
            assertEquals(10, await(ch.read(ByteBuffer.allocate(10), 0), "a read after the handler", HANG));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void anInterruptMadeByAHandlerEndsWithIt(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "interrupt", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            CompletableFuture<Long> size = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, handler(n -> {
                Thread.currentThread().interrupt();
                size.complete(ch.size());
            }, size));
            assertEquals(100L, await(size, "size() on an interrupted handler thread", HANG));
            for (int i = 0; i < 20; i++) {
                CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
                ch.read(ByteBuffer.allocate(10), 0, null, handler(n -> interrupted.complete(Thread.currentThread().isInterrupted()), interrupted));
                assertFalse(await(interrupted, "a later handler", HANG), "a later handler found its thread interrupted");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void aHandlerOpensAChannelWhileAnotherThreadClosesTheLastOne(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "reopen", new byte[100]);
        AsynchronousFileChannel a = impl.open(p, READ);
        AsynchronousFileChannel last = impl.open(p, READ);
        CountDownLatch handlerRunning = new CountDownLatch(1);
        AtomicBoolean closing = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            try {
                handlerRunning.await();
                closing.set(true);
                a.close();
                last.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        CompletableFuture<Long> reopened = new CompletableFuture<>();
        a.read(ByteBuffer.allocate(10), 0, null, handler(n -> {
            handlerRunning.countDown();
            // let the closer get as far into close() as it goes while this handler still runs
            long deadline = System.nanoTime() + 2_000_000_000L;
            while ((!closing.get() || closer.getState() == Thread.State.RUNNABLE) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            try (AsynchronousFileChannel b = impl.open(p, READ)) {
                reopened.complete(b.size());
            }
        }, reopened));
        assertEquals(100L, await(reopened, "the channel opened by the handler", HANG));
        closer.join(HANG.toMillis());
        assertFalse(closer.isAlive(), "close() of the last channel did not return");
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void overlappingLocksAreRefusedAtTheCall(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "overlap", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE); AsynchronousFileChannel other = impl.open(p, READ, WRITE)) {
            FileLock held = ch.tryLock(0, 100, false);
            assertNotNull(held);
            CompletableFuture<FileLock> unexpected = new CompletableFuture<>();
            assertThrows(OverlappingFileLockException.class, () -> ch.lock(50, 10, false));
            assertThrows(OverlappingFileLockException.class, () -> ch.lock(50, 10, false, null, handler(unexpected::complete, unexpected)));
            assertThrows(OverlappingFileLockException.class, () -> ch.lock());
            assertThrows(OverlappingFileLockException.class, () -> ch.tryLock(99, 1, true));
            assertThrows(OverlappingFileLockException.class, () -> other.lock(0, 10, false)); // the JVM's lock table
            assertThrows(OverlappingFileLockException.class, () -> other.tryLock(0, 10, false));
            try (FileChannel plain = FileChannel.open(p, READ, WRITE)) {
                assertThrows(OverlappingFileLockException.class, () -> plain.tryLock(10, 10, false));
            }
            assertFalse(unexpected.isDone());
            held.release();
            FileLock tail = await(other.lock(200, 0, false)); // size 0: to the end of any file
            assertEquals(Long.MAX_VALUE - 200, tail.size());
            assertSame(other, tail.acquiredBy());
            tail.release();
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closeEndsPendingLocksAndLeavesNoDescriptorAndNoLock(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "held-elsewhere", new byte[100]);
        try (LockHolder holder = LockHolder.exclusive(p)) {
            for (int i = 0; i < 20; i++) {
                AsynchronousFileChannel ch = impl.open(p, READ, WRITE);
                Future<FileLock> pending = ch.lock(50, 50, false);
                CompletableFuture<FileLock> viaHandler = new CompletableFuture<>();
                ch.lock(0, 10, true, null, handler(viaHandler::complete, viaHandler));
                if (i % 2 == 0) { // else close races the lock's start
                    assertThrows(TimeoutException.class, () -> pending.get(20, TimeUnit.MILLISECONDS));
                }
                ch.close();
                assertInstanceOf(AsynchronousCloseException.class, failure(pending, "lock " + i));
                assertInstanceOf(AsynchronousCloseException.class, failure(viaHandler, "lock " + i + " with a handler"));
            }
            assertEquals(List.of(), descriptorsOf(p), "descriptors of the file left open");
            try (FileChannel plain = FileChannel.open(p, READ, WRITE)) {
                assertNull(plain.tryLock(), "the other process holds the lock; nothing of this JVM may");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void handlersNeverRunOnTheCallingThread(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "threads", TestFiles.random(64 * 1024, 45));
        Files.readAllBytes(p); // cached: many requests complete before the call returns
        Thread caller = Thread.currentThread();
        List<CompletableFuture<Boolean>> placed = new ArrayList<>();
        AsynchronousFileChannel ch = impl.open(p, READ, WRITE);
        try {
            for (int i = 0; i < 300; i++) {
                placed.add(new CompletableFuture<>());
                ch.read(ByteBuffer.allocateDirect(16), i * 16L, null, placedHandler(impl, ch, caller, placed.getLast()));
                placed.add(new CompletableFuture<>());
                ch.write(ByteBuffer.wrap(new byte[16]), 32_768 + i * 16L, null, placedHandler(impl, ch, caller, placed.getLast()));
            }
            placed.add(new CompletableFuture<>());
            ch.read(ByteBuffer.allocate(0), 0, null, placedHandler(impl, ch, caller, placed.getLast()));
            placed.add(new CompletableFuture<>());
            ch.lock(0, 10, false, null, placedHandler(impl, ch, caller, placed.getLast()));
            for (CompletableFuture<Boolean> f : placed) {
                assertTrue(await(f, "a handler", HANG), "a handler ran on the calling thread or off the owner");
            }
        } finally {
            ch.close();
        }
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        ch.read(ByteBuffer.allocate(1), 0, null, placedHandler(impl, ch, caller, closed));
        assertTrue(await(closed, "the handler of a read on a closed channel", HANG));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void handlersRunOnTheGivenExecutor(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "executor", TestFiles.random(4096, 46));
        Set<Thread> pool = ConcurrentHashMap.newKeySet();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "given-executor");
            t.setDaemon(true);
            pool.add(t);
            return t;
        });
        try {
            List<CompletableFuture<Thread>> ran = new ArrayList<>();
            AsynchronousFileChannel ch = impl.open(p, Set.of(READ, WRITE), executor);
            try {
                for (int i = 0; i < 50; i++) {
                    ran.add(new CompletableFuture<>());
                    ch.read(ByteBuffer.allocate(16), i * 16L, null, threadHandler(ran.getLast()));
                    ran.add(new CompletableFuture<>());
                    ch.write(ByteBuffer.allocate(16), 2048 + i * 16L, null, threadHandler(ran.getLast()));
                }
                ran.add(new CompletableFuture<>());
                ch.lock(0, 10, false, null, threadHandler(ran.getLast()));
                for (CompletableFuture<Thread> t : ran) {
                    assertTrue(pool.contains(await(t, "a handler", HANG)), "a handler ran off the given executor");
                }
            } finally {
                ch.close();
            }
            ran.add(new CompletableFuture<>());
            ch.write(ByteBuffer.allocate(1), 0, null, threadHandler(ran.getLast()));
            assertTrue(pool.contains(await(ran.getLast(), "the handler of a closed channel's write", HANG)));
        } finally {
            executor.shutdownNow();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
        try (AsynchronousFileChannel noExecutor = impl.open(p, Set.of(READ), null)) { // the default group
            assertEquals(16, await(noExecutor.read(ByteBuffer.allocate(16), 0)));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void positionsNearTheLargestLongFailTheFuture(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "far", new byte[100]);
        try (AsynchronousFileChannel ch = impl.open(p, READ, WRITE)) {
            for (long position : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 5}) {
                assertInstanceOf(IOException.class, failure(ch.read(ByteBuffer.allocate(10), position)), "read at " + position);
                assertInstanceOf(IOException.class, failure(ch.write(ByteBuffer.allocate(10), position)), "write at " + position);
                CompletableFuture<Integer> viaHandler = new CompletableFuture<>();
                ch.read(ByteBuffer.allocate(10), position, null, handler(viaHandler::complete, viaHandler));
                assertInstanceOf(IOException.class, failure(viaHandler), "read at " + position + " with a handler");
            }
            assertEquals(-1, await(ch.read(ByteBuffer.allocate(10), Long.MAX_VALUE - 10))); // ends at the largest long
            assertInstanceOf(IOException.class, failure(ch.write(ByteBuffer.allocate(10), Long.MAX_VALUE - 100))); // EFBIG
            assertEquals(0, await(ch.read(ByteBuffer.allocate(0), Long.MAX_VALUE)));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void aHandlerThatThrowsIsReportedToTheUncaughtExceptionHandler(Impl impl) throws Exception {
        Path p = TestFiles.file(dir, "throws", new byte[100]);
        CompletableFuture<Throwable> reported = new CompletableFuture<>();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reporting");
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((thread, e) -> reported.complete(e));
            return t;
        });
        try (AsynchronousFileChannel ch = impl.open(p, Set.of(READ), executor)) {
            ch.read(ByteBuffer.allocate(10), 0, null, handler(n -> {
                throw new IllegalStateException("thrown by the handler");
            }, new CompletableFuture<>()));
            assertEquals("thrown by the handler", await(reported, "the report", HANG).getMessage());
            assertEquals(10, await(ch.read(ByteBuffer.allocate(10), 0)));
        } finally {
            executor.shutdownNow();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
        // the default threads report to the default handler
        CompletableFuture<Throwable> byDefault = new CompletableFuture<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> byDefault.complete(e));
        try (AsynchronousFileChannel ch = impl.open(p, READ)) {
            ch.read(ByteBuffer.allocate(10), 0, null, handler(n -> {
                throw new IllegalStateException("thrown on a default thread");
            }, new CompletableFuture<>()));
            assertEquals("thrown on a default thread", await(byDefault, "the report", HANG).getMessage());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }

    /** What a handler does with the result; may throw. */
    interface Completion<V> {
        void completed(V value) throws Exception;
    }

    /** A handler that runs {@code onCompleted}, and fails {@code failures} with whatever fails. */
    static <V> CompletionHandler<V, Object> handler(Completion<V> onCompleted, CompletableFuture<?> failures) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                try {
                    onCompleted.completed(result);
                } catch (RuntimeException e) {
                    failures.completeExceptionally(e);
                    throw e;
                } catch (Exception e) {
                    failures.completeExceptionally(e);
                }
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                failures.completeExceptionally(exc);
            }
        };
    }

    /** A handler that says whether it ran where {@code impl} promises; releases the lock it may get. */
    static <V> CompletionHandler<V, Object> placedHandler(Impl impl, AsynchronousFileChannel ch, Thread caller,
                                                          CompletableFuture<Boolean> placed) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                placed.complete(impl.onHandlerThread(ch, caller));
                if (result instanceof FileLock lock) {
                    try {
                        lock.release();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                placed.complete(impl.onHandlerThread(ch, caller));
            }
        };
    }

    /** A handler that records the thread it ran on, whatever the outcome. */
    static <V> CompletionHandler<V, Object> threadHandler(CompletableFuture<Thread> ran) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                ran.complete(Thread.currentThread());
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                ran.complete(Thread.currentThread());
            }
        };
    }

    /** This process's descriptors open on {@code file}. */
    static List<String> descriptorsOf(Path file) {
        return LeakCheck.openDescriptors().stream().filter(file.toString()::equals).toList();
    }
}

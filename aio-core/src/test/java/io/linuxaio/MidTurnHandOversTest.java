package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.EventFd;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.linuxaio.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On the library's completion thread, a request another thread hands over while the owner delivers a long
 * run of completions is started and submitted within that run, not held until the owner's turn ends: a
 * virtual thread whose read just completed hands its next one over at once, and the disk should have it.
 */
@ExtendWith(LeakCheck.class)
class MidTurnHandOversTest {

    private static final int POLLS = 48;

    @TempDir
    Path dir;

    @Test
    void aRequestHandedOverDuringARunOfCompletionsIsSubmittedBeforeTheRunEnds() throws Exception {
        Path p = dir.resolve("f");
        Files.write(p, new byte[4096]);
        int efd = EventFd.create(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (AioContext ctx = AioContext.builder().queueDepth(128).inlineCachedReads(false).build();
             AioFile f = ctx.open(p)) {
            EventFd.write(efd, 1); // readable already: each poll completes inside the io_submit that sends it
            AtomicInteger delivered = new AtomicInteger();
            long[] startedSeen = new long[POLLS];
            long[] submitCallsSeen = new long[POLLS];
            @SuppressWarnings("unchecked")
            CompletableFuture<Integer>[] handedOver = new CompletableFuture[2];
            @SuppressWarnings("unchecked")
            CompletableFuture<Integer>[] polls = new CompletableFuture[POLLS];
            CountDownLatch made = new CountDownLatch(1);
            CountDownLatch allDelivered = new CountDownLatch(POLLS);
            boolean[] onOwner = new boolean[POLLS];
            // made on the owner, in one task: all are sent in the same io_submits, and reaped as one run
            ctx.ownerExecutor().execute(() -> {
                for (int i = 0; i < POLLS; i++) {
                    polls[i] = ctx.poll(efd, AioAbi.POLLIN);
                    polls[i].thenRun(() -> { // on the owner, inside its delivery of the run
                        int k = delivered.getAndIncrement();
                        if (k == 0 || k == 20) { // the second meets the flush the first one's start scheduled
                            try {
                                handedOver[k == 0 ? 0 : 1] = other.submit(() -> f.readAsync(0, ByteBuffer.allocateDirect(4096))).get();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }
                        AioMetrics m = ctx.metrics();
                        startedSeen[k] = m.submitted();
                        submitCallsSeen[k] = m.ioSubmitCalls();
                        onOwner[k] = ctx.inOwnerThread();
                        allDelivered.countDown();
                    });
                }
                made.countDown();
            });
            assertTrue(made.await(10, TimeUnit.SECONDS));
            // a latch, not the futures: a thread waiting on a CompletableFuture helps run its callbacks, and
            // they must all run on the owner
            assertTrue(allDelivered.await(10, TimeUnit.SECONDS));
            for (int k = 0; k < POLLS; k++) {
                assertTrue(onOwner[k], "callback " + k + " ran off the owner");
            }
            for (CompletableFuture<Integer> poll : polls) {
                assertTrue((await(poll) & AioAbi.POLLIN) != 0);
            }
            assertEquals(4096, await(handedOver[0]));
            assertEquals(4096, await(handedOver[1]));
            assertEquals(POLLS, delivered.get());
            assertEquals(startedSeen[0] + 2, startedSeen[POLLS - 1],
                    "the handed-over reads were not both started before the last completion of the run was delivered");
            assertTrue(submitCallsSeen[POLLS - 1] > submitCallsSeen[0],
                    "no io_submit between the first and the last completion of the run");
        } finally {
            other.shutdownNow();
            LibC.close(efd);
        }
    }
}

package io.linuxaio;

import io.linuxaio.testing.Futures;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.READ;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Cancel guarantee: cancelling a read's future completes the future only; the kernel cannot cancel
 * the read, so the request keeps its slot, its native memory and its descriptor until the kernel is done,
 * and then still finishes its work (a heap buffer receives its bytes).
 */
@ExtendWith(LeakCheck.class)
class CancelledRequestsTest {

    @TempDir
    Path dir;

    @Test
    void aCancelledReadKeepsItsMemoryAndDescriptorUntilTheKernelIsDone() throws Exception {
        byte[] data = TestFiles.random(32 * 65536, 12);
        Path p = TestFiles.file(dir, "c", data);
        long nativeBefore = AioContext.liveNativeBytes();
        try (AioContext ctx = AioContext.builder().queueDepth(64).build()) {
            AioFile f = ctx.open(p, READ, AioOpenOption.DIRECT);
            ByteBuffer[] heap = new ByteBuffer[32];
            record Seen(long inFlight, long nativeBytes, boolean allCancelled) {
            }
            // one owner task: the reads take their slots (and bounce memory for the heap buffers), then are cancelled
            Seen seen = Futures.call(ctx.ownerExecutor(), () -> {
                boolean cancelled = true;
                for (int i = 0; i < heap.length; i++) {
                    heap[i] = ByteBuffer.allocate(65536);
                    CompletableFuture<Integer> read = f.readAsync((long) i * 65536, heap[i]);
                    cancelled &= read.cancel(true) && read.isCancelled();
                }
                return new Seen(ctx.metrics().inFlight(), AioContext.liveNativeBytes(), cancelled);
            });
            assertTrue(seen.allCancelled());
            assertEquals(32, seen.inFlight(), "a cancelled read gave its slot back before the kernel was done");
            assertTrue(seen.nativeBytes() >= nativeBefore + 32L * 65536,
                    "the bounce memory of cancelled reads was freed while the kernel may still write it");
            f.close();
            await(f.closeFuture()); // the descriptor closes only once the kernel is done with every read
            for (int i = 0; i < heap.length; i++) {
                assertArrayEquals(Arrays.copyOfRange(data, i * 65536, (i + 1) * 65536), heap[i].array(),
                        "read " + i + " did not finish its work");
            }
            assertFalse(f.isOpen());
        }
        assertEquals(nativeBefore, AioContext.liveNativeBytes());
    }
}

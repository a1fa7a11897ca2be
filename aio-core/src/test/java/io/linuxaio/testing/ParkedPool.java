package io.linuxaio.testing;

import io.linuxaio.engine.BlockingPool;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every thread of the library's I/O fallback pool held on a gate, so that a request sent to the pool
 * waits there until {@link #release()}: the way a test observes what goes on while a fallback read or
 * write is still running. Close (or release) it before closing the context, which waits for the pool.
 * Any thread.
 */
public final class ParkedPool implements AutoCloseable {

    private final CountDownLatch gate = new CountDownLatch(1);

    private ParkedPool() {
    }

    /** Parks every pool thread; returns once they all wait. */
    public static ParkedPool park() throws InterruptedException {
        ParkedPool p = new ParkedPool();
        CountDownLatch parked = new CountDownLatch(BlockingPool.threads());
        for (int i = 0; i < BlockingPool.threads(); i++) {
            BlockingPool.executor().execute(() -> {
                parked.countDown();
                try {
                    p.gate.await();
                } catch (InterruptedException ignored) {
                    // released
                }
            });
        }
        assertTrue(parked.await(30, TimeUnit.SECONDS), "the fallback pool's threads did not all park");
        return p;
    }

    /** Lets the pool run again. Idempotent. */
    public void release() {
        gate.countDown();
    }

    @Override
    public void close() {
        release();
    }
}

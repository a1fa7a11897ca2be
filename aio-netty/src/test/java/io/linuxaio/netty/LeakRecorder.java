package io.linuxaio.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Netty's leak detector at PARANOID, with every leak it reports recorded so that a test can assert
 * there was none. {@link #install()} must run before the first ByteBuf class is initialised. Public for the
 * tests of {@code io.linuxaio.netty.http}.
 */
public final class LeakRecorder {

    private LeakRecorder() {
    }

    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + ": " + records);
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType);
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    public static void install() {
        // the static initializer did it
    }

    /** Collects garbage, lets the detector look at it, and asserts no leak was reported. */
    public static void assertNoLeaks() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20); // the leak detector notices collected buffers through a reference queue
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(1); // allocation triggers the report
            probe.release();
            probe = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
            probe.release();
        }
        assertEquals(List.of(), LEAKS, "Netty's leak detector reported leaks");
    }
}

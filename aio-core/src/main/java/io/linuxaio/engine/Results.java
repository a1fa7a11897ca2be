package io.linuxaio.engine;

/**
 * Any thread: boxed byte counts without an allocation for the common sizes: every multiple of 512 up to 1 MiB,
 * and 0..1023, are cached, so completing a future with a typical count allocates nothing.
 */
public final class Results {

    private Results() {
    }

    private static final int SMALL = 1024;
    private static final int STEP_SHIFT = 9;
    private static final int MAX_STEPPED = 1 << 20;
    private static final Integer[] SMALL_CACHE = new Integer[SMALL];
    private static final Integer[] STEPPED_CACHE = new Integer[(MAX_STEPPED >> STEP_SHIFT) + 1];

    static {
        for (int i = 0; i < SMALL; i++) {
            SMALL_CACHE[i] = i;
        }
        for (int i = 0; i < STEPPED_CACHE.length; i++) {
            int v = i << STEP_SHIFT;
            STEPPED_CACHE[i] = v < SMALL ? SMALL_CACHE[v] : Integer.valueOf(v);
        }
    }

    /** {@code value} boxed, from the cache when it is there. */
    public static Integer box(int value) {
        if (value >= 0 && value < SMALL) {
            return SMALL_CACHE[value];
        }
        if (value > 0 && value <= MAX_STEPPED && (value & ((1 << STEP_SHIFT) - 1)) == 0) {
            return STEPPED_CACHE[value >> STEP_SHIFT];
        }
        return value;
    }
}

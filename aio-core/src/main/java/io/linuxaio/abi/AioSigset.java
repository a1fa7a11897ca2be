package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct __aio_sigset}, the last argument of {@code io_pgetevents}, 16 bytes:
 *
 * <pre>{@code
 * struct __aio_sigset {
 *     const sigset_t *sigmask;
 *     size_t          sigsetsize;   // _NSIG / 8 = 8
 * };
 * }</pre>
 */
public final class AioSigset {

    private AioSigset() {
    }

    /** The layout of {@code struct __aio_sigset}, with named fields. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("sigmask"),
            ValueLayout.JAVA_LONG.withName("sigsetsize")).withName("__aio_sigset");

    /** {@code sizeof(struct __aio_sigset)} = 16. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code sigmask}: the address of the signal mask, or NULL. */
    public static final long SIGMASK = LAYOUT.byteOffset(groupElement("sigmask"));
    /** The offset of {@code sigsetsize}: the size of the mask, {@link #KERNEL_SIGSET_SIZE}. */
    public static final long SIGSETSIZE = LAYOUT.byteOffset(groupElement("sigsetsize"));
    /** The kernel's {@code sizeof(sigset_t)} ({@code _NSIG / 8}): 8 bytes, one bit per signal 1..64. */
    public static final long KERNEL_SIGSET_SIZE = 8;

    /**
     * Sets the fields.
     *
     * @param sigset the {@code struct __aio_sigset}
     * @param sigmask a {@link #KERNEL_SIGSET_SIZE}-byte signal mask, or {@code MemorySegment.NULL}
     * @param sigsetsize the mask's size, {@link #KERNEL_SIGSET_SIZE}
     */
    public static void set(MemorySegment sigset, MemorySegment sigmask, long sigsetsize) {
        sigset.set(ValueLayout.ADDRESS, SIGMASK, sigmask);
        sigset.set(ValueLayout.JAVA_LONG, SIGSETSIZE, sigsetsize);
    }

    /**
     * Adds signal {@code signo} (1..64) to the 8-byte kernel signal mask {@code mask}.
     *
     * @param mask the signal mask
     * @param signo the signal number
     * @throws IllegalArgumentException if {@code signo} is not in 1..64
     */
    public static void addSignal(MemorySegment mask, int signo) {
        if (signo < 1 || signo > 64) {
            throw new IllegalArgumentException("signal " + signo + " is out of range 1..64");
        }
        long bits = mask.get(ValueLayout.JAVA_LONG, 0);
        mask.set(ValueLayout.JAVA_LONG, 0, bits | (1L << (signo - 1)));
    }
}

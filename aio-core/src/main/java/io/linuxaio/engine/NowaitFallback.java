package io.linuxaio.engine;

import io.linuxaio.AioAbandonedException;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The promise never to block the owner in {@code io_submit}: which requests get {@code RWF_NOWAIT}, what
 * the kernel's EAGAIN or EOPNOTSUPP teaches about a file, and the blocking {@code preadv2}/{@code pwritev2}
 * on the {@link BlockingPool} for the requests the kernel would have blocked on. Owner thread, except
 * {@link FallbackTask#run}'s first half, which runs on a pool thread.
 *
 * <p>Buffered reads and all writes are submitted with RWF_NOWAIT ({@code O_DIRECT} writes may allocate
 * blocks); O_DIRECT reads, syncs and polls never block the submitter. A file whose filesystem refuses
 * RWF_NOWAIT (EOPNOTSUPP: ext4's buffered writes) sends its later requests of that direction to the pool
 * at once.
 */
final class NowaitFallback {

    private static final Logger LOG = LoggerFactory.getLogger(NowaitFallback.class);

    /** How a read or write goes to the kernel. */
    enum Route {
        /** As the caller asked (O_DIRECT reads, syncs, polls, or non-blocking submission turned off). */
        AS_IS,
        /** With RWF_NOWAIT added: EAGAIN/EOPNOTSUPP or a short count sends it to the pool. */
        NOWAIT,
        /** Straight to the pool: the file's filesystem refuses RWF_NOWAIT for it. */
        POOL
    }

    private final Engine engine;
    private final SlotTable slots;
    private final KernelContext kernel;
    private final Counters counters;
    private final boolean enabled;

    NowaitFallback(Engine engine, SlotTable slots, KernelContext kernel, Counters counters, boolean enabled) {
        this.engine = engine;
        this.slots = slots;
        this.kernel = kernel;
        this.counters = counters;
        this.enabled = enabled;
    }

    /** How a request goes to the kernel. */
    Route route(FileHandle file, Op op, int rwFlags) {
        if (!enabled || file == null || (rwFlags & AioAbi.RWF_NOWAIT) != 0) {
            return Route.AS_IS; // a caller's own RWF_NOWAIT: its EAGAIN is the caller's answer
        }
        if (op.isWrite()) {
            return file.nowaitWriteRefused ? Route.POOL : Route.NOWAIT;
        }
        if (op.isRead() && !file.isDirect()) {
            return file.nowaitReadRefused ? Route.POOL : Route.NOWAIT;
        }
        return Route.AS_IS;
    }

    /**
     * Takes over a completion the kernel answered {@code res} for, if it is the pool's: EAGAIN or
     * EOPNOTSUPP to a RWF_NOWAIT the engine added (learning from EOPNOTSUPP), or a short count, where
     * RWF_NOWAIT stopped at the first page it would have waited for (the pool does the rest, so a read
     * inside the file returns the whole range, as a blocking pread would). Returns whether it took it.
     */
    boolean takeOver(int slot, long res) {
        if (!slots.nowaitAdded[slot]) {
            return false;
        }
        if (res == -Errno.EAGAIN || res == -Errno.EOPNOTSUPP) {
            if (res == -Errno.EOPNOTSUPP && slots.userFlags[slot] == 0) { // else another RWF_* flag may be the cause
                FileHandle file = slots.files[slot];
                boolean write = slots.ops[slot].isWrite();
                if (!(write ? file.nowaitWriteRefused : file.nowaitReadRefused)) {
                    LOG.debug("{}: RWF_NOWAIT refused (EOPNOTSUPP) for the {}s of {}: they go to the blocking pool at once",
                            engine, write ? "write" : "read", file.describe());
                }
                if (write) {
                    file.nowaitWriteRefused = true;
                } else {
                    file.nowaitReadRefused = true;
                }
            }
            toPool(slot, 0);
            return true;
        }
        if (res > 0 && res < slots.lengths[slot]) {
            toPool(slot, res);
            return true;
        }
        return false;
    }

    /**
     * Runs the slot's request on the blocking pool, from byte {@code done} on ({@code done} bytes were
     * already transferred by a short non-blocking attempt).
     */
    void toPool(int slot, long done) {
        slots.states[slot] = SlotState.IN_FALLBACK;
        counters.increment(Counters.FALLBACKS);
        MemorySegment iocb = kernel.iocb(slot);
        Op op = slots.ops[slot];
        long[] iov;
        if (op == Op.PREAD || op == Op.PWRITE) {
            iov = new long[] {Iocb.aioBuf(iocb), Iocb.aioNbytes(iocb)};
        } else {
            // a copy: the pool thread must not read the context's memory, which abandon() may free
            int n = (int) Iocb.aioNbytes(iocb);
            iov = MemorySegment.ofAddress(Iocb.aioBuf(iocb)).reinterpret(n * IoVec.SIZE).toArray(ValueLayout.JAVA_LONG);
        }
        if (done > 0) {
            iov = skip(iov, done);
        }
        slots.nowaitAdded[slot] = false; // the pool's own EAGAIN or EOPNOTSUPP is the request's answer
        FallbackTask task = new FallbackTask(slot, op, slots.fds[slot], iov, Iocb.aioOffset(iocb) + done,
                slots.userFlags[slot] & ~AioAbi.RWF_NOWAIT, slots.attachments[slot], slots.ownMemory[slot],
                slots.files[slot], slots.futures[slot], done);
        try {
            BlockingPool.executor().execute(task);
        } catch (RejectedExecutionException e) {
            engine.completer.endRequest(slot, -Errno.EAGAIN, "the fallback pool refused the request");
        }
    }

    /** The iovec pairs {@code iov} without their first {@code n} bytes. */
    private static long[] skip(long[] iov, long n) {
        int i = 0;
        while (i < iov.length && n >= iov[i + 1]) {
            n -= iov[i + 1];
            i += 2;
        }
        long[] rest = Arrays.copyOfRange(iov, i, iov.length);
        if (rest.length > 0) {
            rest[0] += n;
            rest[1] -= n;
        }
        return rest;
    }

    /**
     * A read or write the kernel would have blocked on: the blocking call on a pool thread, then its
     * result delivered on the owner thread (the same object is the owner's task: no allocation).
     */
    private final class FallbackTask implements Runnable {
        final int slot;
        final Op op;
        final int fd;
        final long[] iov; // base, len pairs
        final long offset;
        final int flags;
        final Object keepAlive; // the user's buffer stays reachable while the pool thread uses it
        final long ownMemory;
        final FileHandle file;
        final CompletableFuture<?> future;
        final long prefix; // bytes transferred before the pool took over
        boolean done;
        long res;

        FallbackTask(int slot, Op op, int fd, long[] iov, long offset, int flags, Object keepAlive, long ownMemory,
                     FileHandle file, CompletableFuture<?> future, long prefix) {
            this.slot = slot;
            this.op = op;
            this.fd = fd;
            this.iov = iov;
            this.offset = offset;
            this.flags = flags;
            this.keepAlive = keepAlive;
            this.ownMemory = ownMemory;
            this.file = file;
            this.future = future;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            if (!done) { // on the pool thread
                res = blockingIo();
                done = true;
                try {
                    engine.owner().execute(this);
                } catch (RejectedExecutionException e) {
                    orphaned();
                }
                return;
            }
            // on the owner thread
            if (engine.lifecycle.isTerminated()) {
                orphaned();
                return;
            }
            // after a partial non-blocking transfer an error only cuts the count short, as with a blocking call
            long total = res >= 0 ? prefix + res : prefix > 0 ? prefix : res;
            engine.completer.endRequest(slot, total, "blocking fallback");
        }

        /**
         * The context was torn down (its owner shut down) while this ran: the slot was left to this task,
         * which now ends the request, now that no thread uses the descriptor or the memory any more.
         */
        private void orphaned() {
            if (ownMemory != 0) {
                NativeMemory.free(ownMemory);
            }
            if (file != null) {
                file.release(op);
            }
            future.completeExceptionally(new AioAbandonedException("request abandoned: " + engine
                    + " was torn down while the request ran on the blocking pool"));
        }

        private long blockingIo() {
            long r;
            int iovcnt = iov.length / 2;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment vec = a.allocateFrom(ValueLayout.JAVA_LONG, iov);
                boolean read = op.isRead();
                do {
                    r = read ? LibC.preadv2(fd, vec, iovcnt, offset, flags) : LibC.pwritev2(fd, vec, iovcnt, offset, flags);
                } while (r == -Errno.EINTR);
            } catch (RuntimeException e) {
                LOG.error("fallback {} on fd {} failed", op.callName(), fd, e);
                r = -Errno.EIO;
            } finally {
                Reference.reachabilityFence(keepAlive);
            }
            return r;
        }
    }
}

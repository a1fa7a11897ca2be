package io.linuxaio.netty;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioOpenOption;
import io.linuxaio.DirectIoAlignment;
import io.linuxaio.abi.AioLimits;
import io.linuxaio.abi.LibC;
import io.linuxaio.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;

import static io.linuxaio.testing.Futures.await;
import static io.linuxaio.testing.LeakCheck.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A soak of the whole library with data verification. Not part of the default build: it is tagged
 * {@code soak} and runs with {@code mvn -B -ntp -pl aio-netty test -Psoak -Dtest=SoakTest}.
 *
 * <p>Mixed requests (random offsets and sizes; buffered and {@code O_DIRECT} handles; ByteBuffer, heap
 * ByteBuffer, MemorySegment, heap MemorySegment, ByteBuffer[] and, on the loops, ByteBuf; reads, writes,
 * fsync, fdatasync) are issued from platform threads (two standalone contexts of their own, one of them
 * tiny and reaping with {@code io_getevents}, one context shared by the rest; the first thread's context
 * is replaced now and then) and from Netty epoll loops (requests chained in completions on the loop), over
 * a set of files whose handles are closed and reopened during the run while requests are in flight.
 *
 * <p>The files are cut in 4 KiB blocks; every worker owns disjoint 64 KiB chunks, and never has two
 * requests on one chunk at once. Each block written carries a header (magic, file id, offset, sequence
 * number, CRC32C of the payload) and a payload derived from (file, offset, sequence); the last sequence
 * written to each block is remembered, every read is checked against it, and a final pass re-reads every
 * block with a {@link FileChannel}.
 *
 * <p>Two oracles independent of the library: fio writes a file with its crc32c verify headers and the
 * library reads and checks every block of it; the library writes a file with a 4-byte pattern and
 * {@code fio --verify=pattern --verify_only} checks it. Both are shown to detect a corrupted byte.
 *
 * <p>Settings (system properties): {@code soak.requests} (default 8,000,000: about 2.5 minutes
 * on a 2-core machine), {@code soak.seconds} (default 180: whichever bound comes first ends the mixed phase), {@code soak.files} (8),
 * {@code soak.fileMiB} (64), {@code soak.threads} (4), {@code soak.loops} (2), {@code soak.loopWorkers} (4),
 * {@code soak.depth} (requests in flight per worker, 16), {@code soak.loopQueueDepth} (queue depth of
 * the loops' contexts, 24: fewer than the 32 requests in flight per loop), {@code soak.reopenEvery} (requests between two
 * reopens of a worker's file, 2000), {@code soak.rotateEvery} (requests between two replacements of the first
 * thread's context, 50000), {@code soak.fioMiB} (64), {@code soak.seed}, {@code soak.dir} (default a
 * temporary directory: it must be on a real filesystem for O_DIRECT alignment to mean anything),
 * {@code soak.hangSeconds} (60).
 */
@Tag("soak")
@ExtendWith(LeakCheck.class)
class SoakTest {

    static {
        LeakRecorder.install();
    }

    // ------------------------------------------------------------------ settings
    static final long REQUESTS = Long.getLong("soak.requests", 8_000_000L);
    static final long SECONDS = Long.getLong("soak.seconds", 180L);
    static final int FILES = Integer.getInteger("soak.files", 8);
    /** How long one control request (a close, a sync, a re-read) may take under the soak's load. */
    static final Duration AWAIT = Duration.ofSeconds(60);
    static final int FILE_MIB = Integer.getInteger("soak.fileMiB", 64);
    static final int THREADS = Integer.getInteger("soak.threads", 4);
    static final int LOOPS = Integer.getInteger("soak.loops", 2);
    static final int LOOP_WORKERS = Integer.getInteger("soak.loopWorkers", 4);
    static final int DEPTH = Integer.getInteger("soak.depth", 16);
    /** Queue depth of the loops' contexts: below the requests in flight per loop, so that their waiting queue is used. */
    static final int LOOP_QUEUE_DEPTH = Integer.getInteger("soak.loopQueueDepth", 24);
    static final int REOPEN_EVERY = Integer.getInteger("soak.reopenEvery", 2000);
    static final int ROTATE_EVERY = Integer.getInteger("soak.rotateEvery", 50_000);
    static final int FIO_MIB = Integer.getInteger("soak.fioMiB", 64);
    static final long SEED = Long.getLong("soak.seed", System.nanoTime());
    static final long HANG_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("soak.hangSeconds", 60L));
    static final String FIO = System.getProperty("soak.fio", "/usr/bin/fio");
    /** Short reads inside the file are counted and reported; by default they fail the soak. */
    static final boolean ALLOW_SHORT_READS = Boolean.getBoolean("soak.allowShortReads");

    static final int BLOCK = 4096;
    static final int CHUNK_BLOCKS = 16;
    static final int CHUNK = BLOCK * CHUNK_BLOCKS;
    static final long FILE_SIZE = (long) FILE_MIB << 20;
    static final int BLOCKS_PER_FILE = (int) (FILE_SIZE / BLOCK);
    static final int CHUNKS_PER_FILE = (int) (FILE_SIZE / CHUNK);
    static final int WORKERS = THREADS + LOOP_WORKERS;
    static final int SLOT_BYTES = 4 * CHUNK;

    static final int MAGIC = 0x50AC50AC;
    static final int HEADER = 24; // magic, file, offset (8), seq, crc
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    static final int OP_READ = 0;
    static final int OP_WRITE = 1;
    static final int OP_FSYNC = 2;
    static final int OP_FDSYNC = 3;
    static final String[] OP_NAMES = {"read", "write", "fsync", "fdatasync"};

    static final int K_BB = 0;
    static final int K_BB_HEAP = 1;
    static final int K_SEG = 2;
    static final int K_SEG_HEAP = 3;
    static final int K_VEC = 4;
    static final int K_BYTEBUF = 5;
    static final String[] KIND_NAMES = {"ByteBuffer", "heap ByteBuffer", "MemorySegment", "heap MemorySegment",
            "ByteBuffer[]", "ByteBuf"};

    static final byte MODE_FILL = 0;
    static final byte MODE_BUFFERED = 1;
    static final byte MODE_DIRECT = 2;

    static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[BLOCK]);

    @TempDir
    Path tempDir;
    Path dir;
    Path[] paths;

    // ------------------------------------------------------------------ shared state
    /** Per block of every file: the last sequence written (0: the initial fill; -1: unknown after a failed write). */
    final int[] blockSeq = new int[FILES * BLOCKS_PER_FILE];
    final int[] prevSeq = new int[FILES * BLOCKS_PER_FILE];
    final byte[] lastMode = new byte[FILES * BLOCKS_PER_FILE];
    final byte[] lastKind = new byte[FILES * BLOCKS_PER_FILE];
    /** Per chunk: 1 while a request of its owner is on it. */
    final AtomicIntegerArray busy = new AtomicIntegerArray(FILES * CHUNKS_PER_FILE);

    final AtomicLong issued = new AtomicLong();
    final LongAdder requests = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder reads = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder syncs = new LongAdder();
    final LongAdder verifiedBlocks = new LongAdder();
    final LongAdder unknownBlocks = new LongAdder();
    final LongAdder reopens = new LongAdder();
    final LongAdder rotations = new LongAdder();
    final LongAdder fadvises = new LongAdder();
    final LongAdder mismatches = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder shortReads = new LongAdder();
    final LongAdder shortReadsBuffered = new LongAdder();
    final LongAdder shortReadsAtPage = new LongAdder();
    final List<String> shortReadNotes = new CopyOnWriteArrayList<>();
    final long[] kindCounts = new long[6];
    final List<String> mismatchNotes = new CopyOnWriteArrayList<>();
    final List<String> failureNotes = new CopyOnWriteArrayList<>();
    final ConcurrentHashMap<Long, Pend> pending = new ConcurrentHashMap<>();
    final AtomicLong ids = new AtomicLong();
    final AtomicLong maxLatency = new AtomicLong();
    volatile String slowest = "";
    final List<AioContext> contexts = new CopyOnWriteArrayList<>();
    final List<Worker> workers = new ArrayList<>();

    volatile boolean stop;
    volatile boolean hung;
    volatile long hungAt;
    long deadline;
    long startNanos;

    interface Pend {
        long start();

        String describe();

        CompletableFuture<?> future();
    }

    record Tracked(String what, long start, CompletableFuture<?> future) implements Pend {
        @Override
        public String describe() {
            return what;
        }
    }

    <T> CompletableFuture<T> track(String what, CompletableFuture<T> f) {
        long id = ids.incrementAndGet();
        pending.put(id, new Tracked(what, System.nanoTime(), f));
        f.whenComplete((r, e) -> pending.remove(id));
        return f;
    }

    void failure(String what) {
        failures.increment();
        if (failureNotes.size() < 50) {
            failureNotes.add(what);
            System.out.println("soak FAILURE: " + what);
        }
    }

    void mismatch(String what) {
        mismatches.increment();
        if (mismatchNotes.size() < 50) {
            mismatchNotes.add(what);
            System.out.println("soak MISMATCH: " + what);
        }
    }

    boolean shouldStop() {
        if (stop) {
            return true;
        }
        if (issued.get() >= REQUESTS || System.nanoTime() - deadline > 0) {
            stop = true;
            return true;
        }
        return false;
    }

    // ================================================================== block contents

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Writes block ({@code fileId}, {@code offset}, {@code seq}) into {@code dst} at {@code at}. */
    static void fillBlock(byte[] dst, int at, int fileId, long offset, int seq) {
        INT.set(dst, at, MAGIC);
        INT.set(dst, at + 4, fileId);
        LONG.set(dst, at + 8, offset);
        INT.set(dst, at + 16, seq);
        long x = mix(0x9E3779B97F4A7C15L * (fileId + 1) ^ offset * 0xD1B54A32D192ED03L ^ ((long) seq << 17)) | 1;
        for (int i = HEADER; i < BLOCK; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            LONG.set(dst, at + i, x);
        }
        CRC32C crc = new CRC32C();
        crc.update(dst, at + HEADER, BLOCK - HEADER);
        INT.set(dst, at + 20, (int) crc.getValue());
    }

    /** Null when the whole block at {@code at} has a sound header of ({@code fileId}, {@code offset}, {@code seq}). */
    static String checkHeader(byte[] b, int at, int fileId, long offset, int seq) {
        int magic = (int) INT.get(b, at);
        int f = (int) INT.get(b, at + 4);
        long o = (long) LONG.get(b, at + 8);
        int s = (int) INT.get(b, at + 16);
        int crc = (int) INT.get(b, at + 20);
        CRC32C c = new CRC32C();
        c.update(b, at + HEADER, BLOCK - HEADER);
        boolean crcOk = (int) c.getValue() == crc;
        if (magic == MAGIC && f == fileId && o == offset && s == seq && crcOk) {
            return null;
        }
        return describeHeader(b, at) + (crcOk ? "" : " (payload CRC32C does not match its header)");
    }

    static String describeHeader(byte[] b, int at) {
        int magic = (int) INT.get(b, at);
        if (magic != MAGIC) {
            return String.format("no block header (first bytes %016x%016x)", Long.reverseBytes((long) LONG.get(b, at)),
                    Long.reverseBytes((long) LONG.get(b, at + 8)));
        }
        CRC32C c = new CRC32C();
        c.update(b, at + HEADER, BLOCK - HEADER);
        return "found header file=" + (int) INT.get(b, at + 4) + " offset=" + (long) LONG.get(b, at + 8) + " seq="
                + (int) INT.get(b, at + 16) + " crc " + ((int) c.getValue() == (int) INT.get(b, at + 20) ? "ok" : "BAD");
    }

    int globalBlock(int fileId, long offset) {
        return fileId * BLOCKS_PER_FILE + (int) (offset / BLOCK);
    }

    /** Checks the bytes {@code data[0, len)} read at {@code pos} of file {@code fileId} against the remembered blocks. */
    void verifyRange(int fileId, long pos, byte[] data, int dataAt, int len, String what) {
        long end = pos + len;
        byte[] exp = SCRATCH.get();
        for (long bOff = pos / BLOCK * BLOCK; bOff < end; bOff += BLOCK) {
            int gb = globalBlock(fileId, bOff);
            int seq = blockSeq[gb];
            if (seq < 0) {
                unknownBlocks.increment();
                continue;
            }
            fillBlock(exp, 0, fileId, bOff, seq);
            long from = Math.max(pos, bOff);
            long to = Math.min(end, bOff + BLOCK);
            int aFrom = dataAt + (int) (from - pos);
            int aTo = dataAt + (int) (to - pos);
            int eFrom = (int) (from - bOff);
            int eTo = (int) (to - bOff);
            int mm = Arrays.mismatch(data, aFrom, aTo, exp, eFrom, eTo);
            String header = eFrom == 0 && eTo == BLOCK ? checkHeader(data, aFrom, fileId, bOff, seq) : null;
            if (mm >= 0 || header != null) {
                String found;
                if (eFrom == 0 && eTo - eFrom >= HEADER) {
                    found = header != null ? header : describeHeader(data, aFrom);
                } else {
                    found = "header not in the range read";
                }
                mismatch(what + ": file " + fileId + " block @" + bOff + " bytes [" + from + "," + to + ") expected seq " + seq
                        + " (previous " + prevSeq[gb] + ", last written " + modeName(lastMode[gb]) + " with "
                        + KIND_NAMES[lastKind[gb]] + "), first differing byte at block offset " + (mm < 0 ? "-" : eFrom + mm)
                        + "; " + found);
            }
            verifiedBlocks.increment();
        }
    }

    static String modeName(byte m) {
        return m == MODE_FILL ? "by the initial fill" : m == MODE_BUFFERED ? "buffered" : "O_DIRECT";
    }

    // ================================================================== request slots

    final class Slot implements BiConsumer<Object, Throwable>, Pend {
        final Worker w;
        final int index;
        final MemorySegment nat;
        final ByteBuffer natBB;
        final byte[] heap = new byte[SLOT_BYTES];
        final ByteBuffer heapBB = ByteBuffer.wrap(heap);
        final MemorySegment heapSeg = MemorySegment.ofArray(heap);
        final byte[] data = new byte[CHUNK];

        int op;
        int kind;
        int fileId;
        int len;
        int seq;
        int chunk = -1;
        int bufOff;
        long pos;
        boolean direct;
        AioFile file;
        AioContext ctx;
        volatile long id;
        volatile long startNanos;
        volatile CompletableFuture<?> future;
        /** The thread attaching the completion handler, while it does: a future already complete runs it there. */
        volatile Thread attaching;
        ByteBuffer bb;
        ByteBuffer[] vec;
        int[] vecStart;
        ByteBuf buf;

        Slot(Worker w, int index) {
            this.w = w;
            this.index = index;
            this.nat = w.arena.allocate(SLOT_BYTES, 4096);
            this.natBB = nat.asByteBuffer();
        }

        @Override
        public void accept(Object r, Throwable e) {
            w.complete(this, r, e);
        }

        @Override
        public long start() {
            return startNanos;
        }

        @Override
        public CompletableFuture<?> future() {
            return future;
        }

        @Override
        public String describe() {
            return w.name + " slot " + index + ": " + OP_NAMES[op] + (op <= OP_WRITE ? " file " + fileId + " [" + pos + ", +" + len
                    + ")" + (op == OP_WRITE ? " seq " + seq : "") + " " + KIND_NAMES[kind] + (vec != null ? "(" + vec.length + " buffers)" : "") : "")
                    + (direct ? " O_DIRECT" : " buffered") + " via " + (ctx != null ? ctx.name() : "?")
                    + " fd " + (file != null ? file.fd() : -1);
        }
    }

    // ================================================================== workers

    abstract class Worker {
        final int id;
        final String name;
        final int[] chunks;
        final Random rnd;
        final Arena arena = Arena.ofShared();
        final Slot[] slots = new Slot[DEPTH];
        final AioFile[] handles = new AioFile[FILES];
        int writeSeq;
        long issuedHere;
        long nextReopen;

        Worker(int id, String name) {
            this.id = id;
            this.name = name;
            this.rnd = new Random(SEED * 31 + id);
            int n = 0;
            for (int g = id; g < FILES * CHUNKS_PER_FILE; g += WORKERS) {
                n++;
            }
            chunks = new int[n];
            for (int g = id, i = 0; g < FILES * CHUNKS_PER_FILE; g += WORKERS) {
                chunks[i++] = g;
            }
            for (int i = 0; i < DEPTH; i++) {
                slots[i] = new Slot(this, i);
            }
            nextReopen = REOPEN_EVERY / 2 + rnd.nextInt(REOPEN_EVERY);
        }

        abstract boolean onOwnerThread(Slot s);

        abstract void slotDone(Slot s);

        abstract boolean loop();

        OpenOption[] options(boolean direct) {
            return direct ? new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, AioOpenOption.DIRECT}
                    : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        }

        int claimChunk() {
            for (int t = 0; t < 16; t++) {
                int g = chunks[rnd.nextInt(chunks.length)];
                if (handles[g / CHUNKS_PER_FILE] != null && busy.compareAndSet(g, 0, 1)) {
                    return g;
                }
            }
            return -1;
        }

        int skewed(int max) {
            int r = rnd.nextInt(10);
            if (r < 5) {
                return 1;
            }
            if (r < 8) {
                return 1 + rnd.nextInt(Math.min(4, max));
            }
            return 1 + rnd.nextInt(max);
        }

        int skewedBytes(int max) {
            int r = rnd.nextInt(10);
            if (r < 3) {
                return 1 + rnd.nextInt(Math.min(64, max));
            }
            if (r < 7) {
                return 1 + rnd.nextInt(Math.min(8192, max));
            }
            return 1 + rnd.nextInt(max);
        }

        /** Issues one request on {@code s}; false when none was issued (stopping, or nothing free now). */
        boolean issue(Slot s) {
            if (shouldStop()) {
                return false;
            }
            int r = rnd.nextInt(1000);
            s.vec = null;
            s.bb = null;
            s.buf = null;
            s.chunk = -1;
            s.seq = 0;
            if (r < 15) {
                int f = rnd.nextInt(FILES);
                AioFile h = handles[f];
                if (h == null) {
                    return false;
                }
                s.op = r < 7 ? OP_FSYNC : OP_FDSYNC;
                s.fileId = f;
                s.file = h;
                s.ctx = h.context();
                s.direct = h.isDirect();
                s.pos = 0;
                s.len = 0;
                begin(s);
                try {
                    CompletableFuture<?> fut = s.op == OP_FSYNC ? h.fsync() : h.fdatasync();
                    s.future = fut;
                    s.attaching = Thread.currentThread();
                    fut.whenComplete(s);
                    s.attaching = null;
                } catch (RuntimeException e) {
                    thrown(s, e);
                }
                return true;
            }
            int g = claimChunk();
            if (g < 0) {
                return false;
            }
            int f = g / CHUNKS_PER_FILE;
            AioFile h = handles[f];
            long chunkOff = (long) (g % CHUNKS_PER_FILE) * CHUNK;
            s.chunk = g;
            s.fileId = f;
            s.file = h;
            s.ctx = h.context();
            s.direct = h.isDirect();
            DirectIoAlignment a = h.alignment();
            int memAlign = Math.max(1, a.memoryAlignment());
            s.kind = chooseKind();
            if (r < 450) {
                s.op = OP_WRITE;
                int startBlock = rnd.nextInt(CHUNK_BLOCKS);
                int nb = skewed(CHUNK_BLOCKS - startBlock);
                s.pos = chunkOff + (long) startBlock * BLOCK;
                s.len = nb * BLOCK;
                s.seq = ++writeSeq;
                for (int i = 0; i < nb; i++) {
                    fillBlock(s.data, i * BLOCK, f, s.pos + (long) i * BLOCK, s.seq);
                }
            } else {
                s.op = OP_READ;
                if (s.direct) {
                    int unit = a.offsetAlignment();
                    int units = CHUNK / unit;
                    int su = rnd.nextInt(units);
                    int nu = skewedUnits(units - su, unit);
                    s.pos = chunkOff + (long) su * unit;
                    s.len = nu * unit;
                } else {
                    int start = rnd.nextInt(CHUNK);
                    s.pos = chunkOff + start;
                    s.len = skewedBytes(CHUNK - start);
                }
            }
            boolean heapKind = s.kind == K_BB_HEAP || s.kind == K_SEG_HEAP;
            s.bufOff = s.direct && !heapKind ? memAlign * rnd.nextInt(Math.max(1, 4096 / memAlign)) : rnd.nextInt(4096);
            begin(s);
            try {
                CompletableFuture<Integer> fut = s.op == OP_WRITE ? startWrite(s, h, memAlign, a) : startRead(s, h, memAlign, a);
                s.future = fut;
                s.attaching = Thread.currentThread();
                fut.whenComplete(s);
                s.attaching = null;
            } catch (RuntimeException e) {
                thrown(s, e);
            }
            return true;
        }

        int skewedUnits(int maxUnits, int unit) {
            int perBlock = Math.max(1, BLOCK / unit);
            int r = rnd.nextInt(10);
            if (r < 4) {
                return 1 + rnd.nextInt(Math.min(maxUnits, perBlock));
            }
            if (r < 8) {
                return 1 + rnd.nextInt(Math.min(maxUnits, 4 * perBlock));
            }
            return 1 + rnd.nextInt(maxUnits);
        }

        int chooseKind() {
            int r = rnd.nextInt(loop() ? 110 : 100);
            int k = r < 25 ? K_BB : r < 35 ? K_BB_HEAP : r < 60 ? K_SEG : r < 70 ? K_SEG_HEAP : r < 100 ? K_VEC : K_BYTEBUF;
            synchronized (kindCounts) {
                kindCounts[k]++;
            }
            return k;
        }

        void begin(Slot s) {
            s.id = ids.incrementAndGet();
            s.startNanos = System.nanoTime();
            s.future = null;
            pending.put(s.id, s);
            issued.incrementAndGet();
            issuedHere++;
            requests.increment();
        }

        void thrown(Slot s, RuntimeException e) {
            failure(s.describe() + " threw at the call: " + e);
            if (s.buf != null) {
                s.buf.release();
                s.buf = null;
            }
            if (s.op == OP_WRITE) {
                forget(s);
            }
            pending.remove(s.id);
            if (s.chunk >= 0) {
                busy.set(s.chunk, 0);
            }
            slotDone(s);
        }

        void forget(Slot s) {
            for (long o = s.pos; o < s.pos + s.len; o += BLOCK) {
                blockSeq[globalBlock(s.fileId, o)] = -1;
            }
        }

        CompletableFuture<Integer> startWrite(Slot s, AioFile h, int memAlign, DirectIoAlignment a) {
            int len = s.len;
            switch (s.kind) {
                case K_BB -> {
                    MemorySegment.copy(s.data, 0, s.nat, java.lang.foreign.ValueLayout.JAVA_BYTE, s.bufOff, len);
                    s.bb = s.natBB.clear().position(s.bufOff).limit(s.bufOff + len);
                    return h.writeAsync(s.pos, s.bb);
                }
                case K_BB_HEAP -> {
                    System.arraycopy(s.data, 0, s.heap, s.bufOff, len);
                    s.bb = s.heapBB.clear().position(s.bufOff).limit(s.bufOff + len);
                    return h.writeAsync(s.pos, s.bb);
                }
                case K_SEG -> {
                    MemorySegment seg = s.nat.asSlice(s.bufOff, len);
                    MemorySegment.copy(s.data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, len);
                    return h.writeAsync(s.pos, seg);
                }
                case K_SEG_HEAP -> {
                    System.arraycopy(s.data, 0, s.heap, s.bufOff, len);
                    return h.writeAsync(s.pos, s.heapSeg.asSlice(s.bufOff, len));
                }
                case K_VEC -> {
                    s.vec = buildVector(s, memAlign, s.direct ? a.offsetAlignment() : 1);
                    int at = 0;
                    for (ByteBuffer b : s.vec) {
                        b.duplicate().put(s.data, at, b.remaining());
                        at += b.remaining();
                    }
                    return h.writeAsync(s.pos, s.vec);
                }
                default -> {
                    s.buf = allocByteBuf(h, len);
                    s.buf.writeBytes(s.data, 0, len);
                    return AioByteBufs.writeAsync(h, s.pos, s.buf);
                }
            }
        }

        CompletableFuture<Integer> startRead(Slot s, AioFile h, int memAlign, DirectIoAlignment a) {
            int len = s.len;
            switch (s.kind) {
                case K_BB -> {
                    s.nat.asSlice(s.bufOff, len).fill((byte) 0x5A);
                    s.bb = s.natBB.clear().position(s.bufOff).limit(s.bufOff + len);
                    return h.readAsync(s.pos, s.bb);
                }
                case K_BB_HEAP -> {
                    Arrays.fill(s.heap, s.bufOff, s.bufOff + len, (byte) 0x5A);
                    s.bb = s.heapBB.clear().position(s.bufOff).limit(s.bufOff + len);
                    return h.readAsync(s.pos, s.bb);
                }
                case K_SEG -> {
                    MemorySegment seg = s.nat.asSlice(s.bufOff, len);
                    seg.fill((byte) 0x5A);
                    return h.readAsync(s.pos, seg);
                }
                case K_SEG_HEAP -> {
                    Arrays.fill(s.heap, s.bufOff, s.bufOff + len, (byte) 0x5A);
                    return h.readAsync(s.pos, s.heapSeg.asSlice(s.bufOff, len));
                }
                case K_VEC -> {
                    s.vec = buildVector(s, memAlign, s.direct ? a.offsetAlignment() : 1);
                    for (ByteBuffer b : s.vec) {
                        ByteBuffer d = b.duplicate();
                        while (d.hasRemaining()) {
                            d.put((byte) 0x5A);
                        }
                    }
                    return h.readAsync(s.pos, s.vec);
                }
                default -> {
                    s.buf = allocByteBuf(h, len);
                    return AioByteBufs.readAsync(h, s.pos, s.buf, len);
                }
            }
        }

        ByteBuf allocByteBuf(AioFile h, int len) {
            ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            int r = rnd.nextInt(3);
            if (r == 0) {
                return Unpooled.buffer(len, len); // heap: goes through a bounce buffer
            }
            if (h.isDirect()) {
                return AioByteBufs.allocateAligned(alloc, h, len);
            }
            return alloc.directBuffer(len, len);
        }

        ByteBuffer[] buildVector(Slot s, int memAlign, int unit) {
            int units = s.len / unit;
            int k = 1 + rnd.nextInt(Math.min(units, rnd.nextInt(4) == 0 ? 24 : 6));
            java.util.TreeSet<Integer> cutSet = new java.util.TreeSet<>();
            while (cutSet.size() < k - 1) {
                cutSet.add(1 + rnd.nextInt(units - 1));
            }
            int[] cuts = new int[k + 1];
            int ci = 1;
            for (int c : cutSet) {
                cuts[ci++] = c;
            }
            cuts[k] = units;
            int emptyAt = rnd.nextInt(20) == 0 ? rnd.nextInt(k + 1) : -1;
            List<ByteBuffer> out = new ArrayList<>(k + 1);
            int natCur = 0;
            int heapCur = 0;
            for (int i = 0; i <= k; i++) {
                if (i == emptyAt) {
                    // an empty buffer in the vector (for O_DIRECT at an aligned address)
                    int off = (natCur + memAlign - 1) / memAlign * memAlign;
                    out.add(s.direct || rnd.nextBoolean() ? s.nat.asSlice(off, 0).asByteBuffer() : ByteBuffer.allocate(0));
                }
                if (i == k) {
                    break;
                }
                int plen = (cuts[i + 1] - cuts[i]) * unit;
                if (rnd.nextInt(4) == 0) {
                    int off = heapCur + (s.direct ? 0 : rnd.nextInt(8));
                    out.add(ByteBuffer.wrap(s.heap, off, plen));
                    heapCur = off + plen;
                } else {
                    int off = (natCur + memAlign - 1) / memAlign * memAlign + (s.direct ? 0 : rnd.nextInt(8));
                    out.add(s.nat.asSlice(off, plen).asByteBuffer());
                    natCur = off + plen;
                }
            }
            s.vecStart = new int[out.size()];
            for (int i = 0; i < out.size(); i++) {
                s.vecStart[i] = out.get(i).position();
            }
            return out.toArray(ByteBuffer[]::new);
        }

        /** On the owner thread of the request's context. */
        void complete(Slot s, Object result, Throwable err) {
            try {
                pending.remove(s.id);
                long latency = System.nanoTime() - s.startNanos;
                if (latency > maxLatency.get()) {
                    maxLatency.accumulateAndGet(latency, Math::max);
                    slowest = s.describe() + ": " + TimeUnit.NANOSECONDS.toMillis(latency) + " ms";
                }
                if (!onOwnerThread(s) && s.attaching != Thread.currentThread()) {
                    failure(s.describe() + " completed on " + Thread.currentThread().getName() + ", not on its owner thread");
                }
                if (err != null) {
                    failure(s.describe() + " failed: " + err);
                    if (s.op == OP_WRITE) {
                        forget(s);
                    }
                    return;
                }
                switch (s.op) {
                    case OP_FSYNC, OP_FDSYNC -> syncs.increment();
                    case OP_WRITE -> {
                        int n = (Integer) result;
                        checkBuffersConsumed(s, n);
                        if (n != s.len) {
                            failure(s.describe() + " wrote " + n + " bytes, not " + s.len);
                            forget(s);
                            return;
                        }
                        byte mode = s.direct ? MODE_DIRECT : MODE_BUFFERED;
                        for (long o = s.pos; o < s.pos + s.len; o += BLOCK) {
                            int gb = globalBlock(s.fileId, o);
                            prevSeq[gb] = blockSeq[gb];
                            blockSeq[gb] = s.seq;
                            lastMode[gb] = mode;
                            lastKind[gb] = (byte) s.kind;
                        }
                        writes.increment();
                        bytes.add(n);
                    }
                    default -> {
                        int n = (Integer) result;
                        if (n <= 0 || n > s.len) {
                            failure(s.describe() + " read " + n + " bytes, not " + s.len);
                            return;
                        }
                        if (n < s.len) {
                            // inside the file (the files never shrink): a blocking pread would have read it all
                            shortReads.increment();
                            if (!s.direct) {
                                shortReadsBuffered.increment();
                            }
                            if ((s.pos + n) % 4096 == 0) {
                                shortReadsAtPage.increment();
                            }
                            if (shortReadNotes.size() < 10) {
                                shortReadNotes.add(s.describe() + " returned " + n + " bytes (ends at " + (s.pos + n)
                                        + (((s.pos + n) % 4096 == 0) ? ", a page boundary" : "") + ")");
                            }
                        }
                        checkBuffersConsumed(s, n);
                        gather(s, n);
                        verifyRange(s.fileId, s.pos, s.data, 0, n, s.describe());
                        reads.increment();
                        bytes.add(n);
                    }
                }
            } catch (Throwable t) {
                failure(s.describe() + ": checking the completion threw " + t);
            } finally {
                if (s.buf != null) {
                    s.buf.release();
                    s.buf = null;
                }
                s.vec = null;
                s.bb = null;
                if (s.chunk >= 0) {
                    busy.set(s.chunk, 0);
                }
                slotDone(s);
            }
        }

        /** How many bytes of vector buffer {@code i} a transfer of {@code n} bytes covers. */
        int vecShare(Slot s, int i, int n) {
            int left = n;
            for (int j = 0; j < i; j++) {
                left -= Math.min(left, s.vec[j].limit() - s.vecStart[j]);
            }
            return Math.min(left, s.vec[i].limit() - s.vecStart[i]);
        }

        void checkBuffersConsumed(Slot s, int n) {
            if (s.bb != null && s.bb.position() != s.bufOff + n) {
                failure(s.describe() + ": after " + n + " bytes the ByteBuffer's position is " + s.bb.position() + ", not "
                        + (s.bufOff + n));
            }
            if (s.vec != null) {
                for (int i = 0; i < s.vec.length; i++) {
                    int adv = s.vec[i].position() - s.vecStart[i];
                    if (adv != vecShare(s, i, n)) {
                        failure(s.describe() + ": after " + n + " bytes buffer " + i + " of the vector advanced by " + adv
                                + ", not " + vecShare(s, i, n));
                        break;
                    }
                }
            }
            if (s.buf != null) {
                if (s.op == OP_READ && s.buf.writerIndex() != n) {
                    failure(s.describe() + ": the ByteBuf's writerIndex is " + s.buf.writerIndex() + ", not " + n);
                }
                if (s.op == OP_WRITE && s.buf.readerIndex() != n) {
                    failure(s.describe() + ": the ByteBuf's readerIndex is " + s.buf.readerIndex() + ", not " + n);
                }
            }
        }

        void gather(Slot s, int n) {
            switch (s.kind) {
                case K_BB, K_SEG -> MemorySegment.copy(s.nat, java.lang.foreign.ValueLayout.JAVA_BYTE, s.bufOff, s.data, 0, n);
                case K_BB_HEAP, K_SEG_HEAP -> System.arraycopy(s.heap, s.bufOff, s.data, 0, n);
                case K_VEC -> {
                    int at = 0;
                    for (int i = 0; i < s.vec.length; i++) {
                        int k = vecShare(s, i, n);
                        ByteBuffer d = s.vec[i].duplicate();
                        d.limit(s.vecStart[i] + k).position(s.vecStart[i]);
                        d.get(s.data, at, k);
                        at += k;
                    }
                }
                default -> s.buf.getBytes(0, s.data, 0, n);
            }
        }
    }

    /** A platform thread issuing requests to a standalone context; its completions run on that context's thread. */
    final class ThreadWorker extends Worker implements Runnable {
        final ArrayBlockingQueue<Slot> free = new ArrayBlockingQueue<>(DEPTH);
        final boolean rotates;
        volatile AioContext ctx;
        final Thread thread;
        long nextRotate;
        long nextFadvise;

        ThreadWorker(int id, AioContext ctx, boolean rotates) {
            super(id, "thread-" + id);
            this.ctx = ctx;
            this.rotates = rotates;
            free.addAll(Arrays.asList(slots));
            nextRotate = ROTATE_EVERY;
            nextFadvise = 500 + rnd.nextInt(1000);
            thread = new Thread(this, "soak-" + name);
        }

        @Override
        boolean loop() {
            return false;
        }

        @Override
        boolean onOwnerThread(Slot s) {
            return s.ctx.inOwnerThread();
        }

        @Override
        void slotDone(Slot s) {
            free.add(s);
        }

        void openAll() throws IOException {
            for (int f = 0; f < FILES; f++) {
                handles[f] = ctx.open(paths[f], options(rnd.nextBoolean()));
            }
        }

        @Override
        public void run() {
            try {
                while (!shouldStop()) {
                    maintenance();
                    Slot s = free.poll(1, TimeUnit.SECONDS);
                    if (s == null) {
                        continue;
                    }
                    if (!issue(s)) {
                        free.add(s);
                        Thread.yield();
                    }
                }
                long until = System.nanoTime() + HANG_NANOS + TimeUnit.SECONDS.toNanos(30);
                while (free.size() < DEPTH && System.nanoTime() - until < 0 && !(hung && System.nanoTime() - hungAt > TimeUnit.SECONDS.toNanos(20))) {
                    Thread.sleep(5);
                }
                if (free.size() < DEPTH) {
                    failure(name + ": " + (DEPTH - free.size()) + " requests still in flight when it stopped waiting");
                }
                for (int f = 0; f < FILES; f++) {
                    closeHandle(f);
                }
            } catch (Throwable t) {
                failure(name + " died: " + t);
                t.printStackTrace(System.out);
            }
        }

        void closeHandle(int f) {
            AioFile h = handles[f];
            if (h != null) {
                handles[f] = null;
                h.close();
                track("close of " + h + " (" + name + ")", h.closeFuture());
            }
        }

        void maintenance() throws IOException {
            if (issuedHere >= nextReopen) {
                nextReopen = issuedHere + REOPEN_EVERY / 2 + rnd.nextInt(REOPEN_EVERY);
                int f = rnd.nextInt(FILES);
                AioFile old = handles[f];
                handles[f] = ctx.open(paths[f], options(rnd.nextBoolean()));
                old.close(); // requests in flight on it must still complete
                track("close of " + old + " (" + name + ", reopened)", old.closeFuture());
                reopens.increment();
            }
            if (issuedHere >= nextFadvise) {
                // drop the page cache of a file: buffered reads then miss the cache and go to the blocking pool
                nextFadvise = issuedHere + 500 + rnd.nextInt(2000);
                AioFile h = handles[rnd.nextInt(FILES)];
                LibC.posix_fadvise(h.fd(), 0, 0, LibC.POSIX_FADV_DONTNEED);
                fadvises.increment();
            }
            if (rotates && issuedHere >= nextRotate) {
                nextRotate = issuedHere + ROTATE_EVERY;
                AioContext old = ctx;
                AioContext fresh = AioContext.builder().name("soak-" + name + "-r" + (rotations.sum() + 1)).build();
                contexts.add(fresh);
                AioFile[] oldHandles = handles.clone();
                ctx = fresh;
                openAll();
                for (AioFile h : oldHandles) {
                    h.close();
                    track("close of " + h + " (" + name + ", context rotated)", h.closeFuture());
                }
                track("close of " + old.name() + " (rotated)", old.closeFuture());
                old.close(); // waits: the requests it accepted finish first
                rotations.increment();
            }
        }
    }

    /** Requests chained in completions on one Netty epoll loop. */
    final class LoopWorker extends Worker {
        final EventLoop loop;
        final AioContext ctx;
        final CountDownLatch done = new CountDownLatch(1);
        int idle;
        int opening;
        boolean finished;
        boolean inIssue;

        LoopWorker(int id, EventLoop loop, AioContext ctx) {
            super(id, "loop-worker-" + id);
            this.loop = loop;
            this.ctx = ctx;
        }

        @Override
        boolean loop() {
            return true;
        }

        @Override
        boolean onOwnerThread(Slot s) {
            return loop.inEventLoop();
        }

        void start() {
            loop.execute(() -> {
                for (Slot s : slots) {
                    next(s);
                }
            });
        }

        @Override
        void slotDone(Slot s) {
            if (inIssue) {
                loop.execute(() -> next(s)); // completed at the call: no recursion
            } else {
                next(s);
            }
        }

        void next(Slot s) {
            try {
                maintenance();
                inIssue = true;
                boolean ok;
                try {
                    ok = issue(s);
                } finally {
                    inIssue = false;
                }
                if (ok) {
                    return;
                }
                if (shouldStop()) {
                    idle++;
                    maybeFinish();
                } else {
                    loop.schedule(() -> next(s), 1, TimeUnit.MILLISECONDS);
                }
            } catch (Throwable t) {
                failure(name + ": issuing on the loop threw " + t);
                idle++;
                maybeFinish();
            }
        }

        void maintenance() {
            if (issuedHere < nextReopen || opening > 0 || stop) {
                return;
            }
            nextReopen = issuedHere + REOPEN_EVERY / 2 + rnd.nextInt(REOPEN_EVERY);
            int f = rnd.nextInt(FILES);
            AioFile old = handles[f];
            if (old == null) {
                return;
            }
            handles[f] = null;
            old.close(); // requests in flight on it must still complete
            track("close of " + old + " (" + name + ", reopened)", old.closeFuture());
            opening++;
            boolean direct = rnd.nextBoolean();
            CompletableFuture<AioFile> of = track("openAsync of " + paths[f] + " (" + name + ")",
                    ctx.openAsync(paths[f], options(direct)));
            of.whenComplete((nf, e) -> {
                opening--;
                if (!loop.inEventLoop()) {
                    failure(name + ": openAsync completed on " + Thread.currentThread().getName() + ", not on the loop");
                }
                if (e != null) {
                    failure(name + ": openAsync of " + paths[f] + " failed: " + e);
                } else if (finished || stop) {
                    nf.close();
                    track("close of " + nf + " (" + name + ", opened late)", nf.closeFuture());
                } else {
                    handles[f] = nf;
                    reopens.increment();
                }
                maybeFinish();
            });
        }

        void maybeFinish() {
            if (finished || idle < DEPTH || opening > 0) {
                return;
            }
            finished = true;
            for (int f = 0; f < FILES; f++) {
                AioFile h = handles[f];
                if (h != null) {
                    handles[f] = null;
                    h.close();
                    track("close of " + h + " (" + name + ")", h.closeFuture());
                }
            }
            done.countDown();
        }
    }

    // ================================================================== the test

    @Test
    void soak() throws Exception {
        verifierSelfCheck();
        long aioNr0 = AioLimits.aioNr();
        List<String> fds0 = openDescriptors();
        long native0 = AioContext.liveNativeBytes();
        startNanos = System.nanoTime();

        String soakDir = System.getProperty("soak.dir");
        dir = soakDir == null || soakDir.isBlank() ? tempDir : Files.createTempDirectory(Path.of(soakDir), "soak");
        paths = new Path[FILES];
        for (int f = 0; f < FILES; f++) {
            paths[f] = dir.resolve("soak-" + f + ".dat");
            fill(f);
        }
        long filled = System.nanoTime();

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(LOOPS, EpollIoHandler.newFactory());
        EpollAio aio = EpollAio.create(group, () -> AioContext.builder().queueDepth(LOOP_QUEUE_DEPTH));
        aio.bindAll();
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            loops.add((EventLoop) e);
            contexts.add(aio.context((EventLoop) e));
        }

        // platform threads: one context of its own (replaced now and then), one tiny context reaping with
        // io_getevents (its waiting queue in use), one context shared by the rest
        List<AioContext> standalone = new ArrayList<>();
        AioContext shared = null;
        List<ThreadWorker> threadWorkers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            AioContext c;
            if (i == 0) {
                c = AioContext.builder().name("soak-thread-0").build();
                standalone.add(c);
            } else if (i == 1) {
                c = AioContext.builder().name("soak-thread-1-depth8-getevents").queueDepth(8).userSpaceReaping(false).build();
                standalone.add(c);
            } else {
                if (shared == null) {
                    shared = AioContext.builder().name("soak-shared").build();
                    standalone.add(shared);
                }
                c = shared;
            }
            if (!contexts.contains(c)) {
                contexts.add(c);
            }
            ThreadWorker w = new ThreadWorker(i, c, i == 0);
            w.openAll();
            threadWorkers.add(w);
            workers.add(w);
        }
        List<LoopWorker> loopWorkers = new ArrayList<>();
        for (int i = 0; i < LOOP_WORKERS; i++) {
            EventLoop loop = loops.get(i % loops.size());
            LoopWorker w = new LoopWorker(THREADS + i, loop, aio.context(loop));
            for (int f = 0; f < FILES; f++) {
                w.handles[f] = aio.open(loop, paths[f], w.options(w.rnd.nextBoolean()));
            }
            loopWorkers.add(w);
            workers.add(w);
        }
        DirectIoAlignment align;
        try (AioFile probe = aio.open(loops.get(0), paths[0], StandardOpenOption.READ, AioOpenOption.DIRECT)) {
            align = probe.alignment();
            track("close of the alignment probe", probe.closeFuture());
        }

        System.out.println("soak config: requests=" + REQUESTS + " seconds=" + SECONDS + " files=" + FILES + "x" + FILE_MIB
                + "MiB threads=" + THREADS + " loops=" + LOOPS + " loopWorkers=" + LOOP_WORKERS + " depth=" + DEPTH
                + " seed=" + SEED + " dir=" + dir + " O_DIRECT alignment " + align + " (fill took "
                + TimeUnit.NANOSECONDS.toMillis(filled - startNanos) + " ms)");

        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "soak-watchdog");
            t.setDaemon(true);
            return t;
        });
        long soakStart = System.nanoTime();
        deadline = soakStart + TimeUnit.SECONDS.toNanos(SECONDS);
        long[] lastProgress = {soakStart};
        watchdog.scheduleWithFixedDelay(() -> watch(lastProgress, soakStart), 5, 5, TimeUnit.SECONDS);

        for (ThreadWorker w : threadWorkers) {
            w.thread.start();
        }
        for (LoopWorker w : loopWorkers) {
            w.start();
        }

        // wait for the workers
        long hardDeadline = deadline + HANG_NANOS + TimeUnit.SECONDS.toNanos(120);
        boolean workersDone = false;
        while (true) {
            boolean all = threadWorkers.stream().noneMatch(w -> w.thread.isAlive())
                    && loopWorkers.stream().allMatch(w -> w.done.getCount() == 0);
            if (all) {
                workersDone = true;
                break;
            }
            if (hung && System.nanoTime() - hungAt > TimeUnit.SECONDS.toNanos(30)) {
                failure("workers did not finish within 30 s of the hang");
                break;
            }
            if (System.nanoTime() - hardDeadline > 0) {
                failure("workers did not finish by the hard deadline");
                hung = true;
                break;
            }
            Thread.sleep(50);
        }
        long soakEnd = System.nanoTime();
        long soakRequests = requests.sum();
        System.out.println("soak slowest request: " + slowest);
        System.out.println("soak mixed phase: " + soakRequests + " requests in "
                + TimeUnit.NANOSECONDS.toMillis(soakEnd - soakStart) + " ms (" + reads.sum() + " reads, " + writes.sum()
                + " writes, " + syncs.sum() + " syncs; " + reopens.sum() + " reopens, " + rotations.sum()
                + " context rotations, " + fadvises.sum() + " page cache drops; kinds " + kindSummary() + ")");
        printMetrics("after the mixed phase");

        // the oracles
        String fioA = "skipped";
        String fioB = "skipped";
        if (workersDone && !hung) {
            AioContext oracleCtx = AioContext.builder().name("soak-oracle").build();
            contexts.add(oracleCtx);
            standalone.add(oracleCtx);
            fioA = fioWritesLibraryReads(oracleCtx, aio, loops.get(0));
            fioB = libraryWritesFioVerifies(oracleCtx, aio, loops.get(loops.size() - 1));
        }

        // teardown (the first thread's context may have been replaced: close the one it ended with)
        for (ThreadWorker w : threadWorkers) {
            if (!standalone.contains(w.ctx)) {
                standalone.add(w.ctx);
            }
        }
        for (AioContext c : standalone) {
            closeWithin(c.name(), c::close, 90);
        }
        closeWithin("EpollAio", aio::close, 90);
        if (!group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(60, TimeUnit.SECONDS)) {
            failure("the event loop group did not terminate");
        }
        watchdog.shutdownNow();
        for (Worker w : workers) {
            if (!hung) {
                w.arena.close();
            }
        }
        for (AioContext c : contexts) {
            if (!c.closeFuture().isDone()) {
                failure(c + " is not closed after the teardown");
            }
        }

        // final pass with FileChannel
        long finalMismatches0 = mismatches.sum();
        if (workersDone && !hung) {
            finalPass();
        }
        long finalMismatches = mismatches.sum() - finalMismatches0;

        // what is still pending
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pending.isEmpty() && System.nanoTime() - until < 0) {
            Thread.sleep(10);
        }
        long pendingNow = pending.size();
        if (pendingNow > 0) {
            System.out.println("soak pending at the end: " + pending.values().stream().limit(20).map(Pend::describe)
                    .collect(Collectors.joining("; ")));
        }

        // leaks
        try {
            LeakRecorder.assertNoLeaks();
        } catch (AssertionError e) {
            failure("Netty's leak detector: " + e.getMessage());
        }
        long leakedNative = AioContext.liveNativeBytes() - native0;
        List<String> fds1 = openDescriptors();
        long leakedFds = fds1.size() - fds0.size();
        long leakedContexts = AioLimits.aioNr() - aioNr0;
        if (leakedFds != 0) {
            List<String> added = new ArrayList<>(fds1);
            for (String s : fds0) {
                added.remove(s);
            }
            System.out.println("soak descriptors: before " + fds0.size() + ", after " + fds1.size() + "; new: " + added);
        }

        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String line = String.format("soak: requests=%d bytes=%d mismatches=%d pending=%d leaked-native-bytes=%d leaked-fds=%d "
                        + "leaked-contexts=%d seconds=%.1f failures=%d short-reads=%d max-latency-ms=%d final-pass-mismatches=%d "
                        + "fio-written-read-by-aio=%s aio-written-verified-by-fio=%s",
                requests.sum(), bytes.sum(), mismatches.sum(), pendingNow, leakedNative, leakedFds, leakedContexts, seconds,
                failures.sum(), shortReads.sum(), TimeUnit.NANOSECONDS.toMillis(maxLatency.get()), finalMismatches, fioA, fioB);
        if (shortReads.sum() > 0) {
            System.out.println("soak short reads: " + shortReads.sum() + " reads inside the files returned fewer bytes than asked ("
                    + shortReadsBuffered.sum() + " on buffered handles, " + shortReadsAtPage.sum() + " ending at a page boundary), e.g. "
                    + String.join("; ", shortReadNotes));
        }
        System.out.println(line);

        assertEquals(0, mismatches.sum(), () -> line + "\nmismatches:\n" + String.join("\n", mismatchNotes));
        assertEquals(0, failures.sum(), () -> line + "\nfailures:\n" + String.join("\n", failureNotes));
        assertEquals(0, pendingNow, line);
        assertEquals(0, leakedNative, line);
        assertEquals(0, leakedFds, line);
        assertEquals(0, leakedContexts, line);
        assertTrue(fioA.startsWith("ok") && fioB.startsWith("ok"), line);
        assertTrue(unknownBlocks.sum() == 0, line + ": blocks of unknown contents (a write failed)");
        if (!ALLOW_SHORT_READS) {
            assertEquals(0, shortReads.sum(), () -> line + "\nreads inside the files came back short (a blocking pread would "
                    + "have read every byte; -Dsoak.allowShortReads=true to tolerate):\n" + String.join("\n", shortReadNotes));
        }
    }

    // ================================================================== phases and helpers

    /** The block check must notice a flipped payload byte, a stale sequence number and a block of another offset. */
    static void verifierSelfCheck() {
        byte[] b = new byte[BLOCK];
        fillBlock(b, 0, 3, 8192, 7);
        assertEquals(null, checkHeader(b, 0, 3, 8192, 7), "a sound block");
        byte[] flipped = b.clone();
        flipped[1000] ^= 1;
        assertTrue(checkHeader(flipped, 0, 3, 8192, 7) != null, "a flipped payload byte went unnoticed");
        assertTrue(checkHeader(b, 0, 3, 8192, 6) != null, "a stale sequence number went unnoticed");
        assertTrue(checkHeader(b, 0, 3, 4096, 7) != null, "a block of another offset went unnoticed");
        byte[] older = new byte[BLOCK];
        fillBlock(older, 0, 3, 8192, 6);
        assertTrue(Arrays.mismatch(b, 100, 200, older, 100, 200) >= 0, "payloads of two sequence numbers are alike");
    }

    void fill(int f) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(paths[f], StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < FILE_SIZE; pos += buf.length) {
                for (int i = 0; i < buf.length; i += BLOCK) {
                    fillBlock(buf, i, f, pos + i, 0);
                }
                ByteBuffer bb = ByteBuffer.wrap(buf);
                while (bb.hasRemaining()) {
                    ch.write(bb, pos + bb.position());
                }
            }
            ch.force(true); // blocks allocated and written: later O_DIRECT writes stay in the kernel
        }
    }

    void finalPass() throws IOException {
        byte[] buf = new byte[1 << 20];
        for (int f = 0; f < FILES; f++) {
            try (FileChannel ch = FileChannel.open(paths[f], StandardOpenOption.READ)) {
                if (ch.size() != FILE_SIZE) {
                    failure("file " + f + " has " + ch.size() + " bytes, not " + FILE_SIZE);
                }
                for (long pos = 0; pos < FILE_SIZE; pos += buf.length) {
                    ByteBuffer bb = ByteBuffer.wrap(buf);
                    while (bb.hasRemaining()) {
                        if (ch.read(bb, pos + bb.position()) < 0) {
                            break;
                        }
                    }
                    verifyRange(f, pos, buf, 0, bb.position(), "final pass (FileChannel)");
                }
            }
        }
    }

    void watch(long[] lastProgress, long soakStart) {
        try {
            long now = System.nanoTime();
            List<Pend> old = new ArrayList<>();
            for (Pend p : pending.values()) {
                if (now - p.start() > HANG_NANOS) {
                    old.add(p);
                }
            }
            if (!old.isEmpty() && !hung) {
                printMetrics("at the hang (before stopping the load)");
                hung = true;
                hungAt = now;
                stop = true;
                old.sort(Comparator.comparingLong(Pend::start));
                failure("HANG: " + old.size() + " futures not completed after " + TimeUnit.NANOSECONDS.toSeconds(HANG_NANOS)
                        + " s; oldest: " + old.stream().limit(10).map(p -> p.describe() + " (" + TimeUnit.NANOSECONDS.toSeconds(now - p.start())
                        + " s)").collect(Collectors.joining("; ")));
            }
            if (now - lastProgress[0] > TimeUnit.SECONDS.toNanos(30)) {
                lastProgress[0] = now;
                double t = (now - soakStart) / 1e9;
                System.out.printf("soak progress: t=%.0fs requests=%d (%.0f/s) mismatches=%d failures=%d in-flight=%d reopens=%d "
                        + "max-latency=%d ms%n", t, requests.sum(), requests.sum() / t, mismatches.sum(), failures.sum(),
                        pending.size(), reopens.sum(), TimeUnit.NANOSECONDS.toMillis(maxLatency.get()));
            }
        } catch (Throwable t) {
            System.out.println("soak watchdog: " + t);
        }
    }

    void printMetrics(String when) {
        for (AioContext c : contexts) {
            if (c.isOpen() || !c.closeFuture().isDone()) {
                System.out.println("soak metrics " + when + ": " + c.name() + " " + c.metrics());
            }
        }
    }

    String kindSummary() {
        StringBuilder sb = new StringBuilder();
        synchronized (kindCounts) {
            for (int k = 0; k < kindCounts.length; k++) {
                sb.append(k == 0 ? "" : ", ").append(KIND_NAMES[k]).append(' ').append(kindCounts[k]);
            }
        }
        return sb.toString();
    }

    void closeWithin(String what, Runnable close, long seconds) throws InterruptedException {
        Thread t = new Thread(close, "soak-close-" + what);
        t.setDaemon(true);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(seconds));
        if (t.isAlive()) {
            failure(what + " did not close within " + seconds + " s");
            printMetrics("when " + what + " did not close");
        }
    }

    // ------------------------------------------------------------------ oracle 1: fio writes, the library reads

    static final int FIO_MAGIC = 0xacca;
    static final int FIO_VERIFY_CRC32C = 5;
    static final int FIO_VERIFY_CRC32C_INTEL = 6;

    /** Null when the 4 KiB block at {@code at} is a sound fio crc32c verify block for {@code offset}. */
    static String checkFioBlock(byte[] b, int at, long offset) {
        int magic = (short) SHORT.get(b, at) & 0xffff;
        int type = (short) SHORT.get(b, at + 2) & 0xffff;
        int len = (int) INT.get(b, at + 4);
        long off = (long) LONG.get(b, at + 16);
        int hdrCrc = (int) INT.get(b, at + 36);
        int dataCrc = (int) INT.get(b, at + 40);
        if (magic != FIO_MAGIC) {
            return "bad magic 0x" + Integer.toHexString(magic);
        }
        if (type != FIO_VERIFY_CRC32C && type != FIO_VERIFY_CRC32C_INTEL) {
            return "verify type " + type + ", not crc32c";
        }
        if (len != BLOCK) {
            return "header len " + len;
        }
        if (off != offset) {
            return "header offset " + off + " in the block at " + offset;
        }
        // fio's crc32c starts from ~0 and is not inverted at the end: the complement of java.util.zip.CRC32C
        CRC32C c = new CRC32C();
        c.update(b, at, 36);
        if (~(int) c.getValue() != hdrCrc) {
            return "header crc32c mismatch";
        }
        c.reset();
        c.update(b, at + 44, BLOCK - 44);
        if (~(int) c.getValue() != dataCrc) {
            return "data crc32c mismatch";
        }
        return null;
    }

    String fioWritesLibraryReads(AioContext ctx, EpollAio aio, EventLoop loop) throws Exception {
        Path p = dir.resolve("fio-written.dat");
        long size = (long) FIO_MIB << 20;
        int r = runFio("fio-write", "--name=w", "--filename=" + p, "--rw=randwrite", "--bs=4k", "--size=" + FIO_MIB + "m",
                "--verify=crc32c", "--do_verify=0", "--verify_state_save=0", "--ioengine=psync");
        if (r != 0) {
            failure("fio could not write " + p + " (exit " + r + ")");
            return "fio-failed";
        }
        Random rnd = new Random(SEED ^ 0xF10);
        AioFile direct = aio.open(loop, p, StandardOpenOption.READ, AioOpenOption.DIRECT);
        AioFile buffered = ctx.open(p, StandardOpenOption.READ);
        int slots = 32;
        Semaphore permits = new Semaphore(slots);
        ArrayBlockingQueue<MemorySegment> bufs = new ArrayBlockingQueue<>(slots);
        LongAdder good = new LongAdder();
        LongAdder bad = new LongAdder();
        java.util.BitSet checked = new java.util.BitSet();
        Arena arena = Arena.ofShared(); // closed only once every read has completed: the kernel writes into it
        {
            for (int i = 0; i < slots; i++) {
                bufs.add(arena.allocate(CHUNK, 4096));
            }
            int blocks = (int) (size / BLOCK);
            for (int b = 0; b < blocks; ) {
                int nb = Math.min(blocks - b, 1 + rnd.nextInt(CHUNK_BLOCKS));
                long pos = (long) b * BLOCK;
                int len = nb * BLOCK;
                if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                    failure("fio oracle: a read did not complete within 60 s");
                    printMetrics("fio oracle");
                    return "hang";
                }
                MemorySegment seg = bufs.poll();
                AioFile h = rnd.nextBoolean() ? direct : buffered;
                int kind = rnd.nextInt(4);
                byte[] heap = kind == 3 ? new byte[len] : null;
                ByteBuffer[] vec = null;
                CompletableFuture<Integer> f;
                requests.increment();
                try {
                    switch (kind) {
                        case 0 -> f = h.readAsync(pos, seg.asSlice(0, len).asByteBuffer());
                        case 1 -> f = h.readAsync(pos, seg.asSlice(0, len));
                        case 2 -> {
                            vec = new ByteBuffer[nb];
                            for (int i = 0; i < nb; i++) {
                                vec[i] = seg.asSlice((long) i * BLOCK, BLOCK).asByteBuffer();
                            }
                            f = h.readAsync(pos, vec);
                        }
                        default -> f = h.readAsync(pos, ByteBuffer.wrap(heap));
                    }
                } catch (RuntimeException e) {
                    failure("fio oracle: read at " + pos + " threw " + e);
                    bufs.add(seg);
                    permits.release();
                    b += nb;
                    continue;
                }
                track("fio oracle read " + h + " [" + pos + ", +" + len + ") kind " + kind, f);
                ByteBuffer[] v = vec;
                f.whenComplete((n, e) -> {
                    try {
                        if (e != null) {
                            failure("fio oracle: read " + h + " at " + pos + " failed: " + e);
                            return;
                        }
                        if (n <= 0 || n > len) {
                            failure("fio oracle: read " + h + " at " + pos + " returned " + n + ", not " + len);
                            return;
                        }
                        if (n < len) {
                            shortReads.increment();
                            if (!h.isDirect()) {
                                shortReadsBuffered.increment();
                            }
                            if ((pos + n) % 4096 == 0) {
                                shortReadsAtPage.increment();
                            }
                            if (shortReadNotes.size() < 10) {
                                shortReadNotes.add("fio oracle read " + h + " [" + pos + ", +" + len + ") kind " + kind
                                        + " returned " + n);
                            }
                        }
                        bytes.add(n);
                        byte[] data = heap;
                        if (data == null) {
                            data = new byte[len];
                            if (v != null) {
                                for (int i = 0; i < n / BLOCK; i++) {
                                    ByteBuffer d = v[i].duplicate().flip();
                                    d.get(data, i * BLOCK, BLOCK);
                                }
                            } else {
                                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data, 0, len);
                            }
                        }
                        for (int i = 0; i < n / BLOCK; i++) {
                            String problem = checkFioBlock(data, i * BLOCK, pos + (long) i * BLOCK);
                            synchronized (checked) {
                                checked.set((int) (pos / BLOCK) + i);
                            }
                            if (problem == null) {
                                good.increment();
                            } else {
                                bad.increment();
                                mismatch("fio-written block @" + (pos + (long) i * BLOCK) + " read through " + h + " (kind " + kind
                                        + "): " + problem);
                            }
                        }
                    } finally {
                        bufs.add(seg);
                        permits.release();
                    }
                });
                b += nb;
            }
            if (!permits.tryAcquire(slots, 60, TimeUnit.SECONDS)) {
                failure("fio oracle: reads did not complete within 60 s");
                return "hang";
            }
            permits.release(slots);
            // blocks a short read left out: read them again one by one
            for (int b = 0; b < blocks; b++) {
                boolean done;
                synchronized (checked) {
                    done = checked.get(b);
                }
                if (!done) {
                    MemorySegment one = bufs.poll();
                    int n = await(track("fio oracle re-read", direct.readAsync((long) b * BLOCK, one.asSlice(0, BLOCK))), "re-read", AWAIT);
                    requests.increment();
                    String problem = n == BLOCK ? checkFioBlock(one.asSlice(0, BLOCK).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                            0, (long) b * BLOCK) : "re-read returned " + n;
                    bufs.add(one);
                    if (problem == null) {
                        good.increment();
                    } else {
                        bad.increment();
                        mismatch("fio-written block @" + (long) b * BLOCK + " (re-read): " + problem);
                    }
                }
            }

            // the control: one corrupted byte must be caught
            long blockNo = rnd.nextInt(blocks);
            long at = blockNo * BLOCK + 44 + rnd.nextInt(BLOCK - 44);
            corrupt(p, at);
            MemorySegment seg = arena.allocate(BLOCK, 4096);
            int n = await(direct.readAsync(blockNo * BLOCK, seg), "control read", AWAIT);
            requests.increment();
            byte[] data = seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            String problem = n == BLOCK ? checkFioBlock(data, 0, blockNo * BLOCK) : "short";
            direct.close();
            buffered.close();
            await(track("close " + direct, direct.closeFuture()), "close", AWAIT);
            await(track("close " + buffered, buffered.closeFuture()), "close", AWAIT);
            arena.close();
            if (problem == null) {
                failure("fio oracle: a corrupted byte at " + at + " went unnoticed by the fio header check");
                return "blind";
            }
            long expected = size / BLOCK;
            if (good.sum() != expected || bad.sum() != 0) {
                return "FAILED(" + good.sum() + "/" + expected + " blocks sound, " + bad.sum() + " bad)";
            }
            return "ok(" + good.sum() + "-blocks,control-caught:" + problem.replace(' ', '-') + ")";
        }
    }

    // ------------------------------------------------------------------ oracle 2: the library writes, fio verifies

    static final byte[] PATTERN = {(byte) 0xDE, (byte) 0xAD, (byte) 0xBE, (byte) 0xEF};

    String libraryWritesFioVerifies(AioContext ctx, EpollAio aio, EventLoop loop) throws Exception {
        Path p = dir.resolve("aio-written.dat");
        long size = (long) FIO_MIB << 20;
        Files.deleteIfExists(p);
        AioFile buffered = ctx.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        await(track("truncate", buffered.truncate(size)), "truncate", AWAIT);
        requests.increment();
        AioFile direct = aio.open(loop, p, StandardOpenOption.WRITE, AioOpenOption.DIRECT);
        Random rnd = new Random(SEED ^ 0xB0B);
        int slots = 32;
        Semaphore permits = new Semaphore(slots);
        byte[] pattern = new byte[CHUNK * 2 + 8];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = PATTERN[i & 3];
        }
        Arena arena = Arena.ofShared(); // closed only once every write has completed
        {
            int blocks = (int) (size / BLOCK);
            for (int b = 0; b < blocks; ) {
                int nb = Math.min(blocks - b, 1 + rnd.nextInt(32));
                long segPos = (long) b * BLOCK;
                int segLen = nb * BLOCK;
                boolean viaDirect = rnd.nextBoolean();
                List<long[]> pieces = new ArrayList<>();
                if (viaDirect) {
                    pieces.add(new long[] {segPos, segLen});
                } else {
                    long at = segPos;
                    long end = segPos + segLen;
                    while (at < end) {
                        long l = rnd.nextInt(3) == 0 ? end - at : Math.min(end - at, 1 + rnd.nextInt(6000));
                        pieces.add(new long[] {at, l});
                        at += l;
                    }
                }
                for (long[] piece : pieces) {
                    long pos = piece[0];
                    int len = (int) piece[1];
                    if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                        failure("pattern oracle: a write did not complete within 60 s");
                        printMetrics("pattern oracle");
                        return "hang";
                    }
                    int phase = (int) (pos & 3);
                    int kind = rnd.nextInt(4);
                    MemorySegment seg = arena.allocate(len + 4096L, 4096);
                    MemorySegment.copy(pattern, phase, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, len);
                    CompletableFuture<Integer> f = new CompletableFuture<>();
                    AioFile h = viaDirect ? direct : buffered;
                    Runnable start = () -> {
                        try {
                            CompletableFuture<Integer> w = switch (kind) {
                                case 0 -> h.writeAsync(pos, seg.asSlice(0, len).asByteBuffer());
                                case 1 -> h.writeAsync(pos, seg.asSlice(0, len));
                                case 2 -> {
                                    int unit = viaDirect ? BLOCK : 1;
                                    int half = len / unit / 2 * unit;
                                    yield half == 0 ? h.writeAsync(pos, new ByteBuffer[] {seg.asSlice(0, len).asByteBuffer()})
                                            : h.writeAsync(pos, new ByteBuffer[] {seg.asSlice(0, half).asByteBuffer(),
                                                    ByteBuffer.wrap(Arrays.copyOfRange(pattern, phase + half, phase + len))});
                                }
                                default -> h.writeAsync(pos, ByteBuffer.wrap(Arrays.copyOfRange(pattern, phase, phase + len)));
                            };
                            w.whenComplete((n, e) -> {
                                if (e != null) {
                                    f.completeExceptionally(e);
                                } else {
                                    f.complete(n);
                                }
                            });
                        } catch (Throwable t) {
                            f.completeExceptionally(t);
                        }
                    };
                    if (viaDirect) {
                        loop.execute(start); // O_DIRECT writes issued on the loop
                    } else {
                        start.run();
                    }
                    requests.increment();
                    track("pattern write " + h + " [" + pos + ", +" + len + ") kind " + kind, f);
                    f.whenComplete((n, e) -> {
                        if (e != null) {
                            failure("pattern oracle: write " + h + " at " + pos + " failed: " + e);
                        } else if (n != len) {
                            failure("pattern oracle: write " + h + " at " + pos + " wrote " + n + ", not " + len);
                        } else {
                            bytes.add(n);
                        }
                        permits.release();
                    });
                }
                b += nb;
            }
            if (!permits.tryAcquire(slots, 60, TimeUnit.SECONDS)) {
                failure("pattern oracle: writes did not complete within 60 s");
                return "hang";
            }
            arena.close();
        }
        await(track("fdatasync", direct.fdatasync()), "fdatasync", AWAIT);
        await(track("fsync", buffered.fsync()), "fsync", AWAIT);
        requests.add(2);
        direct.close();
        buffered.close();
        await(track("close " + direct, direct.closeFuture()), "close", AWAIT);
        await(track("close " + buffered, buffered.closeFuture()), "close", AWAIT);

        // our own look, then fio's
        byte[] buf = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            assertEquals(size, ch.size(), "size of the pattern file");
            for (long pos = 0; pos < size; pos += buf.length) {
                ByteBuffer bb = ByteBuffer.wrap(buf);
                while (bb.hasRemaining() && ch.read(bb, pos + bb.position()) >= 0) {
                    // fill
                }
                for (int i = 0; i < buf.length; i++) {
                    if (buf[i] != PATTERN[(int) ((pos + i) & 3)]) {
                        mismatch("pattern file byte " + (pos + i) + " is " + (buf[i] & 0xff));
                        break;
                    }
                }
            }
        }
        String[] verify = {"--name=v", "--filename=" + p, "--rw=read", "--bs=4k", "--size=" + FIO_MIB + "m",
                "--verify=pattern", "--verify_pattern=0xDEADBEEF", "--verify_only", "--direct=1", "--ioengine=psync"};
        int r = runFio("fio-verify", verify);
        String out = Files.readString(dir.resolve("fio-verify.log"));
        boolean clean = r == 0 && !out.contains("verify failed") && out.contains("err= 0");
        if (!clean) {
            mismatch("fio --verify=pattern found the library's file bad (exit " + r + "): " + tail(out));
        }
        long at = rnd.nextLong(size);
        corrupt(p, at);
        int r2 = runFio("fio-verify-corrupted", verify);
        String out2 = Files.readString(dir.resolve("fio-verify-corrupted.log"));
        boolean caught = r2 != 0 && (out2.contains("verify failed") || out2.contains("err=84"));
        if (!caught) {
            failure("fio did not notice a corrupted byte at " + at + " (exit " + r2 + "): " + tail(out2));
        }
        return clean && caught ? "ok(exit-0,control-exit-" + r2 + ")" : "FAILED(exit-" + r + ",control-exit-" + r2 + ")";
    }

    static String tail(String s) {
        return s.length() < 1500 ? s : s.substring(s.length() - 1500);
    }

    void corrupt(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x40)).clear();
            ch.write(one, at);
            ch.force(true);
        }
    }

    int runFio(String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(FIO);
        cmd.addAll(Arrays.asList(args));
        Path log = dir.resolve(name + ".log");
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!proc.waitFor(180, TimeUnit.SECONDS)) {
            proc.destroyForcibly().waitFor();
            failure(name + ": fio did not finish within 180 s");
            return -1;
        }
        return proc.exitValue();
    }
}

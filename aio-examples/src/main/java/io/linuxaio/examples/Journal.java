package io.linuxaio.examples;

import static io.linuxaio.AlignedBuffers.alignUp;

import io.linuxaio.AioContext;
import java.util.concurrent.Executor;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.linuxaio.AioOpenOption;
import io.linuxaio.DirectIoAlignment;
import me.tongfei.progressbar.ProgressBar;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.zip.CRC32C;

/**
 * An append-only journal with group commit, the way message brokers (ActiveMQ Artemis) use Linux AIO:
 * many producer threads append records; the records that arrive while one batch is being written and
 * synced are collected into the next batch; each batch reaches the disk with one write, then is made
 * durable with one {@code fdatasync} issued after that write completed (the kernel does not order
 * {@code IOCB_CMD_FDSYNC} after writes still in flight). A producer's future completes only when its
 * record is durable.
 *
 * <p>The journal's state lives on the AIO context's owner thread: producers put their records on a
 * lock-free queue and, at most once per batch, hand the owner a task that drains it. With
 * {@code --direct} the file is opened with {@code O_DIRECT} and preallocated ahead of the writes
 * ({@link AioFile#allocate}), and every batch starts on a block (the larger of the direct I/O alignment
 * and the filesystem block) and is padded with zeros to the next one.
 *
 * <p>File format (little-endian): a header {@code [long magic "LAIOJRNL"][int version][int block]}
 * (padded to {@code block} bytes with {@code --direct}); then frames
 * {@code [int length][int crc32c][long sequence][payload]} of {@code length} bytes (16 + payload),
 * each padded to a multiple of 8; the CRC32C covers the length, the sequence number and the payload.
 * A zero length at a multiple of {@code block} ends the log; elsewhere it is the padding of a batch.
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.Journal -Dexec.args="--producers 8 --records 200000"</pre>
 */
@Command(name = "journal", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class, sortOptions = false,
        description = {"An append-only log with group commit over Linux AIO: producer threads append framed records "
                + "(length, sequence number, CRC32C, payload); the records that arrive while a batch is being written "
                + "form the next batch, written with one write and made durable with one fdatasync; every append's "
                + "future completes when its record is durable. Prints records/s, batches, records per batch and commit "
                + "latency percentiles, then re-reads the file and verifies every record."})
public final class Journal implements Callable<Integer> {

    /** "LAIOJRNL" read as a little-endian long. */
    static final long MAGIC = 0x4c4e524a4f49414cL;
    static final int VERSION = 1;
    /** The file header: magic, version, block. */
    static final int FILE_HEADER = 16;
    /** A frame's header: length, CRC32C, sequence number. */
    static final int RECORD_HEADER = 16;
    /** Frames start at multiples of 8, so that a batch's padding always has room for a zero length. */
    static final int FRAME_ALIGN = 8;

    @Option(names = "--producers", defaultValue = "8", description = "producer threads (default: ${DEFAULT-VALUE})")
    int producers;

    @Option(names = "--records", defaultValue = "200000", description = "records to append in all (default: ${DEFAULT-VALUE})")
    long records;

    @Option(names = "--record-size", defaultValue = "256", description = "payload bytes per record; a frame adds "
            + RECORD_HEADER + " (default: ${DEFAULT-VALUE})")
    int recordSize;

    @Option(names = "--seconds", defaultValue = "0", description = "append for this long instead of --records "
            + "(default: 0, bounded by --records)")
    double seconds;

    @Option(names = "--direct", description = "O_DIRECT: preallocated file, batches padded to the direct I/O alignment")
    boolean direct;

    @Option(names = "--file", description = "the journal file (default: a temp file); it must not exist, unless "
            + "--replace; a file this run created is deleted at the end unless --keep")
    Path file;

    @Option(names = "--replace", description = "with --file: an existing regular file is truncated and reused "
            + "(and kept at the end)")
    boolean replace;

    @Option(names = "--keep", description = "keep the journal file at the end")
    boolean keep;

    @Option(names = "--window", defaultValue = "512", description = "appends a producer may have waiting to be "
            + "durable (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--max-batch-kib", defaultValue = "1024", description = "the largest batch, in KiB "
            + "(default: ${DEFAULT-VALUE})")
    int maxBatchKib;

    @Option(names = "--prealloc-mib", defaultValue = "64", description = "with --direct, the file is preallocated "
            + "this many MiB at a time, ahead of the writes (default: ${DEFAULT-VALUE})")
    int preallocMib;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        ExampleSupport.main(new Journal(), args);
    }

    @Override
    public Integer call() throws Exception {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        Path path = file != null ? file : Files.createTempFile("linux-aio-journal-", ".log");
        boolean created = file == null || create(file);
        try {
            return run(out, path);
        } finally {
            // only what this run created is deleted: never a file that was there before
            if (created && !keep) {
                Files.deleteIfExists(path);
            } else {
                out.printf("kept %s%s%n", path, created ? "" : " (it was there before)");
            }
            out.flush();
        }
    }

    /**
     * Creates the journal file given with {@code --file}, or checks that an existing one may be replaced.
     *
     * @return whether this run created the file
     * @throws IOException for a directory, an existing file without {@code --replace}, anything but a regular
     *         file, or a file that cannot be created
     */
    private boolean create(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new FileSystemException(path.toString(), null, "is a directory; --file names the journal file");
        }
        try {
            Files.createFile(path); // O_CREAT | O_EXCL: nothing that exists is touched
            return true;
        } catch (FileAlreadyExistsException e) {
            if (!replace) {
                throw new FileAlreadyExistsException(path.toString(), null,
                        "already exists; --replace truncates and reuses it");
            }
            if (!Files.isRegularFile(path)) {
                throw new FileSystemException(path.toString(), null, "is not a regular file");
            }
            return false;
        }
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        if (producers < 1) {
            throw new ParameterException(cl, "--producers must be at least 1, not " + producers);
        }
        if (seconds < 0 || Double.isNaN(seconds)) {
            throw new ParameterException(cl, "--seconds must not be negative");
        }
        if (seconds == 0 && records < 1) {
            throw new ParameterException(cl, "--records must be at least 1, not " + records);
        }
        if (recordSize < 0) {
            throw new ParameterException(cl, "--record-size must not be negative");
        }
        if (window < 1) {
            throw new ParameterException(cl, "--window must be at least 1, not " + window);
        }
        if (maxBatchKib < 1 || maxBatchKib > 512 * 1024) {
            throw new ParameterException(cl, "--max-batch-kib must be within 1..524288, not " + maxBatchKib);
        }
        if (frameSize(recordSize) > maxBatchKib * 1024L) {
            throw new ParameterException(cl, "a record of " + recordSize + " bytes does not fit in a batch of "
                    + maxBatchKib + " KiB: raise --max-batch-kib");
        }
        if (preallocMib < 0) {
            throw new ParameterException(cl, "--prealloc-mib must not be negative");
        }
    }

    private int run(PrintWriter out, Path path) throws Exception {
        List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING));
        if (direct) {
            options.add(AioOpenOption.DIRECT);
        }
        Stats stats;
        long appended;
        double elapsed;
        AioMetrics metrics;
        // the context closes before the arena: no request can still use the batch buffer when it is freed
        try (Arena arena = Arena.ofShared();
             AioContext ctx = AioContext.builder().name("journal").queueDepth(64).build()) {
            AioFile f = ctx.open(path, options.toArray(OpenOption[]::new));
            try {
                int block = FRAME_ALIGN;
                int memoryAlign = 4096;
                String mode = "buffered writes";
                if (direct) {
                    DirectIoAlignment a = f.alignment();
                    // Batches start on a filesystem block, not just on the O_DIRECT alignment: ext4 takes its inode
                    // lock exclusively for a write into preallocated (unwritten) blocks that is not block-aligned,
                    // so with RWF_NOWAIT it answers EAGAIN and every write would go to the blocking pool.
                    long fsBlock = Files.getFileStore(path).getBlockSize();
                    block = (int) Math.max(FRAME_ALIGN, Math.max(a.offsetAlignment(), fsBlock <= 1 << 20 ? fsBlock : 0));
                    memoryAlign = Math.max(memoryAlign, a.memoryAlignment());
                    if (Integer.bitCount(block) != 1) {
                        throw new IOException("the direct I/O alignment of " + path + " is not a power of two: " + a);
                    }
                    mode = "O_DIRECT (alignment " + a.offsetAlignment() + " from " + a.source() + "), batches aligned to "
                            + block + "-byte blocks, file preallocated " + preallocMib + " MiB at a time";
                }
                int capacity = (int) alignUp(maxBatchKib * 1024L, block);
                MemorySegment batchMemory = arena.allocate(capacity, memoryAlign); // zeroed
                long headerLength = alignUp(FILE_HEADER, block);
                long preallocChunk = direct ? (long) preallocMib << 20 : 0;
                long allocated = 0;
                if (preallocChunk > 0) {
                    f.allocate(0, preallocChunk).get(60, TimeUnit.SECONDS);
                    allocated = preallocChunk;
                }
                // the header, durable before the first record
                ByteBuffer header = batchMemory.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, block);
                f.writeAsync(0, batchMemory.asSlice(0, headerLength))
                        .thenCompose(n -> f.fdatasync())
                        .get(60, TimeUnit.SECONDS);

                out.printf(Locale.ROOT, "journal: %s, %d-byte payloads (%d-byte frames), %d producers, %s; %s; "
                                + "one write and one fdatasync per batch%n",
                        seconds > 0 ? String.format(Locale.ROOT, "%.1f s", seconds) : records + " records",
                        recordSize, frameSize(recordSize), producers, path, mode);
                out.flush();

                GroupCommitLog log = new GroupCommitLog(f, batchMemory, block, headerLength, allocated, preallocChunk);
                long t0 = System.nanoTime();
                appended = produce(log);
                elapsed = (System.nanoTime() - t0) / 1e9;
                stats = log.close().get(60, TimeUnit.SECONDS);
                if (direct) {
                    f.truncate(stats.end()).get(60, TimeUnit.SECONDS); // drop the preallocated tail
                }
                metrics = ctx.metrics();
            } finally {
                f.close();
                f.closeFuture().get(60, TimeUnit.SECONDS);
            }
        }

        Histogram h = stats.latency();
        out.printf(Locale.ROOT, "durable in %.3f s: %.0f records/s (%.1f MiB/s of frames)%n", elapsed, stats.records() / elapsed,
                stats.records() * (double) frameSize(recordSize) / elapsed / (1 << 20));
        out.printf(Locale.ROOT, "batches: %d (one write + one fdatasync each), %.1f records per batch on average, %d at most%n",
                stats.batches(), stats.batches() == 0 ? 0.0 : stats.records() / (double) stats.batches(), stats.largestBatch());
        out.printf(Locale.ROOT, "commit latency (append -> durable): p50 %s, p99 %s, p99.9 %s, max %s%n",
                millis(h.getValueAtPercentile(50)), millis(h.getValueAtPercentile(99)),
                millis(h.getValueAtPercentile(99.9)), millis(h.getMaxValue()));
        out.printf(Locale.ROOT, "aio: %d requests, %d io_submit calls, %d on the blocking pool, %d failed%n",
                metrics.submitted(), metrics.ioSubmitCalls(), metrics.fallbacks(), metrics.failed());
        if (stats.error() != null) {
            out.printf("error: %s%n", stats.error());
        }

        Verification v = verify(path);
        if (v.problem() != null) {
            out.printf("verification: %s%n", v.problem());
        }
        out.printf("durable: %d of %d records%n", v.records(), appended);
        out.flush();
        return stats.error() == null && v.problem() == null && v.records() == appended && stats.records() == appended ? 0 : 1;
    }

    /** Runs the producers until every record they appended is durable; returns how many they appended. */
    private long produce(GroupCommitLog log) throws Exception {
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicInteger threadIds = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(producers, r -> {
            Thread t = new Thread(r, "producer-" + threadIds.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        long deadline = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : 0;
        ProgressBar bar = ExampleSupport.progressBar(!noProgress, "journal", seconds > 0 ? -1 : records, " records", 1, true);
        try {
            List<CompletableFuture<Long>> counts = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                long quota = seconds > 0 ? Long.MAX_VALUE : records / producers + (p < records % producers ? 1 : 0);
                counts.add(CompletableFuture.supplyAsync(() -> producer(log, id, quota, deadline, error), pool));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(counts.toArray(CompletableFuture<?>[]::new));
            if (bar == null) {
                all.get();
            } else {
                for (;;) {
                    bar.stepTo(log.durable());
                    try {
                        all.get(100, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        // not yet: update the bar
                    }
                }
                bar.stepTo(log.durable());
            }
            long appended = 0;
            for (CompletableFuture<Long> c : counts) {
                appended += c.get();
            }
            return appended;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            if (bar != null) {
                bar.close();
            }
            pool.shutdownNow();
        }
    }

    /**
     * One producer: appends {@code quota} records (or until the deadline), with at most {@code window} of them
     * not yet durable, then waits until all of them are. Stops at the first failed append. Returns how many
     * it appended.
     */
    private long producer(GroupCommitLog log, int id, long quota, long deadline, AtomicReference<Throwable> error) {
        Semaphore inFlight = new Semaphore(window);
        SplittableRandom random = new SplittableRandom(id);
        // runs on the owner thread when the record is durable: must not block
        BiConsumer<Long, Throwable> durable = (seq, err) -> {
            if (err != null) {
                error.compareAndSet(null, err);
            }
            inFlight.release();
        };
        long n = 0;
        while (n < quota && error.get() == null && (seconds == 0 || System.nanoTime() - deadline < 0)) {
            inFlight.acquireUninterruptibly();
            byte[] payload = new byte[recordSize];
            random.nextBytes(payload);
            if (recordSize >= 8) {
                ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).putLong(0, (long) id << 40 | n);
            }
            log.append(payload).whenComplete(durable);
            n++;
        }
        inFlight.acquireUninterruptibly(window); // every append of this producer is durable (or failed)
        return n; // a failure is reported by the journal's stats
    }

    // ====================================================================== the journal

    /** What the journal did, read on its owner thread when it closed. */
    record Stats(long records, long batches, int largestBatch, long end, Histogram latency, Throwable error) {
    }

    /**
     * The group-commit journal. {@link #append} may be called from any thread; everything else runs on the
     * AIO context's owner thread, so the journal's state needs no lock.
     */
    static final class GroupCommitLog {

        /** One record waiting to be durable. */
        private static final class Append {
            final byte[] payload;
            final long appendNanos;
            final CompletableFuture<Long> future = new CompletableFuture<>();
            long sequence;

            Append(byte[] payload, long appendNanos) {
                this.payload = payload;
                this.appendNanos = appendNanos;
            }
        }

        private final AioFile file;
        private final Executor owner;
        private final MemorySegment batchMemory;
        private final ByteBuffer batchBuffer;
        private final ByteBuffer crcView;
        private final CRC32C crc = new CRC32C();
        private final int block;
        private final long preallocChunk;
        /** Appends not yet in a batch: many producers offer, the owner alone polls (lock-free). */
        private final ConcurrentLinkedQueue<Append> queue = new ConcurrentLinkedQueue<>();
        /** True while the owner is due to look at the queue: producers then need not hand it a task. */
        private final AtomicBoolean drainScheduled = new AtomicBoolean();
        private final Runnable drainTask = this::drain;
        private volatile boolean closed;
        private volatile Throwable failure;
        private volatile long durableCount;

        // owner thread only
        private final List<Append> batch = new ArrayList<>();
        private final Histogram latency = new Histogram(3);
        private long nextSequence;
        private long writePosition;
        private long allocatedEnd;
        private boolean allocating;
        private boolean committing;
        private long batches;
        private int largestBatch;
        private CompletableFuture<Stats> closeFuture;

        GroupCommitLog(AioFile file, MemorySegment batchMemory, int block, long start, long allocatedEnd, long preallocChunk) {
            this.file = file;
            this.owner = file.context().ownerExecutor();
            this.batchMemory = batchMemory;
            this.batchBuffer = batchMemory.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            this.crcView = batchBuffer.duplicate();
            this.block = block;
            this.writePosition = start;
            this.allocatedEnd = allocatedEnd;
            this.preallocChunk = preallocChunk;
        }

        /**
         * Appends a record. The future completes, on the owner thread, with the record's sequence number once
         * the record is durable, or exceptionally when the journal failed or is closed. Any thread.
         */
        CompletableFuture<Long> append(byte[] payload) {
            Append a = new Append(payload, System.nanoTime());
            Throwable f = failure;
            if (f != null || closed) {
                a.future.completeExceptionally(f != null ? f : new IllegalStateException("the journal is closed"));
                return a.future;
            }
            queue.offer(a);
            // One hand-over per batch, not per record: only the producer that flips the flag wakes the owner.
            if (!drainScheduled.get() && drainScheduled.compareAndSet(false, true)) {
                try {
                    owner.execute(drainTask);
                } catch (RejectedExecutionException e) {
                    // the owner is gone and nothing will drain the queue: fail what waits in it
                    failure = e;
                    Append queued;
                    while ((queued = queue.poll()) != null) {
                        queued.future.completeExceptionally(e);
                    }
                }
            }
            return a.future;
        }

        /** Records durable so far. Any thread. */
        long durable() {
            return durableCount;
        }

        /**
         * Refuses further appends and completes, on the owner thread, when no batch or preallocation is in
         * flight. Call it once every append's future has completed. Any thread.
         */
        CompletableFuture<Stats> close() {
            CompletableFuture<Stats> result = new CompletableFuture<>();
            closed = true;
            owner.execute(() -> {
                closeFuture = result;
                if (!committing) {
                    startBatch(); // whatever is still queued
                }
                tryFinishClose();
            });
            return result;
        }

        /** Owner: a producer handed over records. While a batch is in flight they wait for it to finish. */
        private void drain() {
            if (!committing) {
                startBatch();
            }
            // else: the flag stays set and producers stay quiet; the commit's end starts the next batch
        }

        /** Owner: frames the queued records into one batch, writes it, then syncs it. */
        private void startBatch() {
            drainScheduled.set(false); // from now on a new append hands over a new drain
            Throwable f = failure;
            if (f != null) {
                Append a;
                while ((a = queue.poll()) != null) {
                    a.future.completeExceptionally(f);
                }
                return;
            }
            int length = 0;
            Append a;
            while ((a = queue.peek()) != null) {
                int frame = frameSize(a.payload.length);
                if (length + frame > batchBuffer.capacity()) {
                    break; // the batch is full: the rest goes into the next one
                }
                queue.poll();
                a.sequence = nextSequence++;
                encode(length, a);
                length += frame;
                batch.add(a);
            }
            if (batch.isEmpty()) {
                return;
            }
            int writeLength = (int) alignUp(length, block);
            batchMemory.asSlice(length, writeLength - length).fill((byte) 0); // padding reads as "skip to the next block"
            long position = writePosition;
            writePosition += writeLength;
            committing = true;
            batches++;
            largestBatch = Math.max(largestBatch, batch.size());
            preallocate();
            file.writeAsync(position, batchMemory.asSlice(0, writeLength))
                    .whenComplete((n, err) -> written(position, writeLength, n, err));
        }

        /** Owner: the batch's write completed; only now is a sync that covers it issued. */
        private void written(long position, int length, Integer n, Throwable err) {
            if (err != null) {
                failBatch(err);
            } else if (n != length) {
                failBatch(new IOException("short write to " + file.path() + " at " + position + ": " + n + " of "
                        + length + " bytes"));
            } else {
                file.fdatasync().whenComplete((v, syncErr) -> synced(syncErr));
            }
        }

        /** Owner: the batch is durable (or not): complete its futures, then start the next batch. */
        private void synced(Throwable err) {
            if (err != null) {
                failBatch(err);
                return;
            }
            long now = System.nanoTime();
            for (int i = 0, size = batch.size(); i < size; i++) {
                Append a = batch.get(i);
                latency.recordValue(now - a.appendNanos);
            }
            durableCount += batch.size(); // single writer: the owner
            for (int i = 0, size = batch.size(); i < size; i++) {
                Append a = batch.get(i);
                a.future.complete(a.sequence);
            }
            batch.clear();
            committing = false;
            startBatch(); // what arrived while this batch was being committed
            tryFinishClose();
        }

        private void failBatch(Throwable err) {
            // The file's contents after a failed write or sync are unknown: the journal stops here.
            failure = err;
            for (Append a : batch) {
                a.future.completeExceptionally(err);
            }
            batch.clear();
            committing = false;
            startBatch(); // fails what is queued
            tryFinishClose();
        }

        /** Owner: keeps the file preallocated ahead of the writes, so O_DIRECT writes never allocate blocks. */
        private void preallocate() {
            if (preallocChunk == 0 || allocating || writePosition + preallocChunk / 2 < allocatedEnd) {
                return;
            }
            allocating = true;
            long from = allocatedEnd;
            file.allocate(from, preallocChunk).whenComplete((v, err) -> {
                allocating = false;
                if (err == null) {
                    allocatedEnd = from + preallocChunk;
                } // else: later writes past the allocated end still work, on the blocking pool
                tryFinishClose();
            });
        }

        private void tryFinishClose() {
            if (closeFuture != null && !committing && !allocating && !closeFuture.isDone()) {
                closeFuture.complete(new Stats(durableCount, batches, largestBatch, writePosition, latency.copy(), failure));
            }
        }

        /** Owner: writes one frame at {@code offset} of the batch buffer. */
        private void encode(int offset, Append a) {
            int length = RECORD_HEADER + a.payload.length;
            ByteBuffer bb = batchBuffer;
            bb.putInt(offset, length);
            bb.putLong(offset + 8, a.sequence);
            bb.put(offset + RECORD_HEADER, a.payload);
            int end = offset + length;
            int padded = offset + frameSize(a.payload.length);
            for (int i = end; i < padded; i++) {
                bb.put(i, (byte) 0);
            }
            crc.reset();
            crc.update(crcView.limit(offset + 4).position(offset));
            crc.update(crcView.limit(end).position(offset + 8));
            bb.putInt(offset + 4, (int) crc.getValue());
        }
    }

    // ====================================================================== reading it back

    /**
     * What {@link #verify} found: {@code records} valid records with the sequence numbers 0..records-1 in
     * order, and the first problem met, or null.
     */
    record Verification(long records, String problem) {
    }

    /**
     * Re-reads a journal with {@code FileChannel} and checks every record: framing, CRC32C, and sequence
     * numbers complete and in order. Any thread.
     */
    static Verification verify(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Reader r = new Reader(ch);
            if (!r.fill(0, FILE_HEADER)) {
                return new Verification(0, "the file is shorter than its header");
            }
            ByteBuffer b = r.buffer;
            if (b.getLong(r.index(0)) != MAGIC || b.getInt(r.index(8)) != VERSION) {
                return new Verification(0, "not a journal of version " + VERSION);
            }
            int block = b.getInt(r.index(12));
            if (block < FRAME_ALIGN || Integer.bitCount(block) != 1) {
                return new Verification(0, "bad block size " + block + " in the header");
            }
            CRC32C crc = new CRC32C();
            long expected = 0;
            long pos = alignUp(FILE_HEADER, block);
            for (;;) {
                if (!r.fill(pos, 4)) {
                    return new Verification(expected, null); // end of file
                }
                int length = r.buffer.getInt(r.index(pos));
                if (length == 0) {
                    if (pos % block == 0) {
                        return new Verification(expected, null); // end of the log
                    }
                    pos = alignUp(pos, block); // a batch's padding
                    continue;
                }
                if (length < RECORD_HEADER) {
                    return new Verification(expected, "bad frame length " + length + " at offset " + pos);
                }
                if (!r.fill(pos, length)) {
                    return new Verification(expected, "torn frame of " + length + " bytes at offset " + pos);
                }
                ByteBuffer view = r.buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int at = r.index(pos);
                int stored = view.getInt(at + 4);
                long sequence = view.getLong(at + 8);
                crc.reset();
                crc.update(view.limit(at + 4).position(at));
                crc.update(view.limit(at + length).position(at + 8));
                if ((int) crc.getValue() != stored) {
                    return new Verification(expected, "CRC32C mismatch in the frame at offset " + pos);
                }
                if (sequence != expected) {
                    return new Verification(expected, "sequence " + sequence + " at offset " + pos + ", expected " + expected);
                }
                expected++;
                pos += alignUp(length, FRAME_ALIGN);
            }
        }
    }

    /** A window of the file in a heap buffer, refilled as the reader moves on. */
    private static final class Reader {
        private final FileChannel ch;
        ByteBuffer buffer = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN).limit(0);
        private long start;

        Reader(FileChannel ch) {
            this.ch = ch;
        }

        /** Makes bytes [pos, pos + n) available; false when the file ends before. */
        boolean fill(long pos, int n) throws IOException {
            if (pos >= start && pos + n <= start + buffer.limit()) {
                return true;
            }
            if (n > buffer.capacity()) {
                buffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            }
            buffer.clear();
            start = pos;
            while (buffer.hasRemaining()) {
                if (ch.read(buffer, start + buffer.position()) < 0) {
                    break;
                }
            }
            buffer.flip();
            return buffer.limit() >= n;
        }

        int index(long pos) {
            return (int) (pos - start);
        }
    }

    // ====================================================================== helpers

    /** The bytes a record of {@code payload} bytes takes in the file, padding included. */
    static int frameSize(int payload) {
        return (int) alignUp(RECORD_HEADER + (long) payload, FRAME_ALIGN);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }
}

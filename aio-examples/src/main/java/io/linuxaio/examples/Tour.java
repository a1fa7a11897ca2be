package io.linuxaio.examples;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.linuxaio.AioOpenOption;
import io.linuxaio.netty.EpollAio;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * A tour of linux-aio on Netty epoll event loops (one per core, each with its own context): writes a scratch
 * file with O_DIRECT, fsyncs it, reads it back at random offsets at iodepth 32 and verifies every byte, then does the same reads through {@code FileChannel} on 32
 * threads, and prints IOPS, MiB/s, p99 latency and CPU per read of both; then the same two with the file in the
 * page cache (buffered reads), and the library's metrics.
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.args="--size-mib 256 --seconds 5"</pre>
 *
 * <p>The reads chain on the event loop: each completion (on the loop thread) checks its block and starts
 * the next read, so {@code iodepth} reads are always in flight and every {@code io_submit} carries the
 * reads that the completions of one loop turn started.
 */
@Command(name = "tour", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Writes a scratch file with O_DIRECT, reads it back at random on a Netty epoll loop through Linux AIO "
                + "and through FileChannel, verifies every byte, and compares; then the same from the page cache.")
public final class Tour implements Callable<Integer> {

    private static final int BLOCK = 4096;
    private static final int WRITE_CHUNK = 1 << 20;


    @Option(names = "--size-mib", defaultValue = "256", description = "size of the scratch file in MiB (default: ${DEFAULT-VALUE})")
    long sizeMib;

    @Option(names = "--seconds", defaultValue = "5", description = "seconds of random reads per engine (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--iodepth", defaultValue = "32", description = "reads in flight (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--dir", description = "where the scratch file goes (default: the temporary directory)")
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        ExampleSupport.main(new Tour(), args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (sizeMib <= 0 || seconds <= 0 || iodepth <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--size-mib, --seconds and --iodepth must be positive");
        }
        long size = sizeMib << 20;
        // the scratch file is this run's own: created here, deleted at the end
        Path file = Files.createTempFile(dir != null ? ExampleSupport.directory(dir) : null, "linux-aio-tour-", ".bin");
        // one loop per core, as a Netty server has: each reads through its own context, iodepth split among them
        int loops = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), iodepth));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, EpollIoHandler.newFactory());
        try (EpollAio aio = EpollAio.create(group, () -> AioContext.builder().queueDepth(Math.max(64, iodepth)))) {
            List<AioContext> contexts = new ArrayList<>();
            group.forEach(loop -> contexts.add(aio.context((EventLoop) loop)));
            out.printf("linux-aio tour: %d MiB scratch file %s, O_DIRECT, iodepth %d over %d Netty epoll loop%s%n",
                    sizeMib, file, iodepth, loops, loops == 1 ? "" : "s");
            try (PerContextFiles direct = new PerContextFiles(contexts, file, READ, WRITE, AioOpenOption.DIRECT)) {
                AioFile f = direct.files().get(0);
                out.printf("direct I/O alignment: %s%n", f.alignment());
                long t0 = System.nanoTime();
                writeAll(f, size, noProgress);
                f.fsync().get(60, TimeUnit.SECONDS);
                double writeSecs = (System.nanoTime() - t0) / 1e9;
                out.printf("wrote and fsynced %d MiB in %.2f s (%.0f MiB/s)%n", sizeMib, writeSecs, sizeMib / writeSecs);

                compare(out, "4 KiB random O_DIRECT reads", direct.files(), file, size, true);
                // the same reads served from the page cache: the file read once, buffered, to fill it
                try (PerContextFiles cached = new PerContextFiles(contexts, file, READ);
                     FileChannel warm = FileChannel.open(file, READ)) {
                    ByteBuffer chunk = ByteBuffer.allocateDirect(WRITE_CHUNK);
                    for (long pos = 0; pos < size; pos += chunk.clear().remaining()) {
                        warm.read(chunk, pos);
                    }
                    compare(out, "4 KiB random cached reads", cached.files(), file, size, false);
                }
            }
            AioMetrics m = aio.metrics();
            out.println();
            out.println("library metrics (all loops): " + m);
            out.printf("io_submit calls per request: %.3f, io_getevents calls: %d (completions reaped in user space: %d)%n",
                    (double) m.ioSubmitCalls() / Math.max(1, m.submitted()), m.ioGeteventsCalls(), m.userReapedEvents());
        } finally {
            Files.deleteIfExists(file);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        out.flush();
        return 0;
    }

    /** One {@code AioFile} of the same path per context (per loop), closed together. Main thread. */
    private record PerContextFiles(List<AioFile> files) implements AutoCloseable {
        PerContextFiles(List<AioContext> contexts, Path path, OpenOption... options) throws IOException {
            this(open(contexts, path, options));
        }

        private static List<AioFile> open(List<AioContext> contexts, Path path, OpenOption... options) throws IOException {
            List<AioFile> files = new ArrayList<>();
            try {
                for (AioContext ctx : contexts) {
                    files.add(ctx.open(path, options));
                }
            } catch (IOException | RuntimeException e) {
                files.forEach(AioFile::close);
                throw e;
            }
            return files;
        }

        @Override
        public void close() {
            files.forEach(AioFile::close);
        }
    }

    /** Fills the file with a pattern derived from each 8-byte word's position, 8 writes in flight. */
    private static void writeAll(AioFile f, long size, boolean noProgress) throws Exception {
        f.allocate(0, size).get(60, TimeUnit.SECONDS); // so O_DIRECT writes do not allocate blocks
        int inFlight = 8;
        ByteBuffer[] bufs = new ByteBuffer[inFlight];
        @SuppressWarnings("unchecked")
        CompletableFuture<Integer>[] pending = new CompletableFuture[inFlight];
        for (int i = 0; i < inFlight; i++) {
            bufs[i] = f.allocateAligned(WRITE_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        }
        long pos = 0;
        int k = 0;
        ProgressBar bar = ExampleSupport.progressBar(!noProgress, "writing", size >> 20, " MiB", 1, false);
        while (pos < size) {
            if (bar != null) {
                bar.stepTo(pos >> 20);
            }
            if (pending[k] != null) {
                check(pending[k].get(60, TimeUnit.SECONDS), WRITE_CHUNK, "write");
            }
            ByteBuffer b = bufs[k].clear();
            int len = (int) Math.min(WRITE_CHUNK, size - pos);
            for (int i = 0; i < len; i += 8) {
                b.putLong(i, pattern(pos + i));
            }
            b.limit(len);
            pending[k] = f.writeAsync(pos, b);
            pos += len;
            k = (k + 1) % inFlight;
        }
        for (CompletableFuture<Integer> p : pending) {
            if (p != null) {
                p.get(60, TimeUnit.SECONDS);
            }
        }
        if (bar != null) {
            bar.stepTo(size >> 20);
            bar.close();
        }
    }

    private static long pattern(long position) {
        long x = position * 0x9E3779B97F4A7C15L;
        return x ^ (x >>> 29);
    }

    private static boolean verify(ByteBuffer b, long position) {
        for (int i = 0; i < BLOCK; i += 8) {
            if (b.getLong(i) != pattern(position + i)) {
                return false;
            }
        }
        return true;
    }

    private static void check(int got, int expected, String what) {
        if (got != expected) {
            throw new IllegalStateException(what + " transferred " + got + " bytes, expected " + expected);
        }
    }

    /** Alternating rounds of each engine; the table shows their medians. */
    private static final int ROUNDS = 3;

    record Result(long ops, long verified, double seconds, long p99Nanos, double cpuSeconds) {
        double iops() {
            return ops / seconds;
        }

        double cpuMicrosPerOp() {
            return cpuSeconds * 1e6 / Math.max(1, ops);
        }

        Result withCpu(double cpu) {
            return new Result(ops, verified, seconds, p99Nanos, cpu);
        }

        /** The rounds' median IOPS, p99 and CPU per read, and their summed counts. */
        static Result median(List<Result> runs) {
            List<Result> byIops = runs.stream().sorted(Comparator.comparingDouble(Result::iops)).toList();
            Result mid = byIops.get(byIops.size() / 2);
            long[] p99 = runs.stream().mapToLong(Result::p99Nanos).sorted().toArray();
            double[] cpu = runs.stream().mapToDouble(Result::cpuMicrosPerOp).sorted().toArray();
            long ops = runs.stream().mapToLong(Result::ops).sum();
            long verified = runs.stream().mapToLong(Result::verified).sum();
            double perOp = cpu[cpu.length / 2];
            // the median IOPS, over all the rounds' reads
            return new Result(ops, verified, ops / mid.iops(), p99[p99.length / 2], perOp * ops / 1e6);
        }

        void print(PrintWriter out, String name) {
            out.printf(Locale.ROOT, "%-28s %10.0f %10.1f %10.1f %12.2f %12s%n", name, iops(), iops() * BLOCK / (1 << 20),
                    p99Nanos / 1e3, cpuMicrosPerOp(), verified == ops ? "all " + verified : verified + "/" + ops);
        }
    }

    /** A run, and the CPU time the whole process spent during it (every thread: the loop, the JVM's, the pool's). */
    private static Result measured(Callable<Result> run) throws Exception {
        long before = processCpuNanos();
        Result r = run.call();
        return r.withCpu((processCpuNanos() - before) / 1e9);
    }

    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Keeps {@code iodepth} reads in flight; each completion (on the event loop) starts the next. */
    /** Alternating rounds of both engines over {@code f} and {@code file}; prints their medians and ratios. */
    private void compare(PrintWriter out, String title, List<AioFile> fs, Path file, long size, boolean direct) throws Exception {
        // alternating rounds, medians: the disk and the machine are shared, one run of each says little
        double warmUp = Math.min(0.5, seconds / ROUNDS); // the JIT compiles both paths before anything is measured
        readAio(fs, size, iodepth, warmUp);
        readFileChannel(file, size, iodepth, warmUp, direct);
        List<Result> aioRuns = new ArrayList<>();
        List<Result> fcRuns = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            aioRuns.add(measured(() -> readAio(fs, size, iodepth, seconds / ROUNDS)));
            fcRuns.add(measured(() -> readFileChannel(file, size, iodepth, seconds / ROUNDS, direct)));
        }
        Result aio = Result.median(aioRuns);
        Result fc = Result.median(fcRuns);
        out.println();
        out.printf("%-28s %10s %10s %10s %12s %12s%n", title, "IOPS", "MiB/s", "p99 (us)", "CPU us/read", "verified");
        aio.print(out, "linux-aio (iodepth " + iodepth + ")");
        fc.print(out, "FileChannel (" + iodepth + " threads)");
        out.printf("linux-aio / FileChannel IOPS: %.2fx, CPU per read: %.2fx, threads doing I/O: %d loop%s vs %d "
                        + "(medians of %d alternating rounds)%n",
                aio.iops() / fc.iops(), aio.cpuMicrosPerOp() / fc.cpuMicrosPerOp(), fs.size(), fs.size() == 1 ? "" : "s",
                iodepth, ROUNDS);
    }

    /** Reads of {@code fs}, {@code iodepth} in flight spread over them: each file's reads chain on its own loop. */
    private static Result readAio(List<AioFile> fs, long size, int iodepth, double seconds) throws Exception {
        List<CompletableFuture<Result>> runs = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            int depth = iodepth / fs.size() + (i < iodepth % fs.size() ? 1 : 0);
            runs.add(readAio(fs.get(i), size, depth, seconds, 42 + i));
        }
        long ops = 0;
        long verified = 0;
        double secs = 0;
        long p99 = 0;
        for (CompletableFuture<Result> run : runs) {
            Result r = run.get((long) seconds + 60, TimeUnit.SECONDS);
            ops += r.ops();
            verified += r.verified();
            secs = Math.max(secs, r.seconds());
            p99 = Math.max(p99, r.p99Nanos()); // the loops make the same reads of one file: the largest stands for all
        }
        return new Result(ops, verified, secs, p99, 0);
    }

    /** Keeps {@code iodepth} reads of {@code f} in flight on its loop; each completion there starts the next. */
    private static CompletableFuture<Result> readAio(AioFile f, long size, int iodepth, double seconds, long seed) {
        long blocks = size / BLOCK;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long[] latencies = new long[1 << 22];
        long[] counts = new long[2]; // ops, verified: touched only on the completion thread
        CompletableFuture<Void> done = new CompletableFuture<>();
        int[] running = {iodepth};
        SplittableRandom rnd = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        for (int i = 0; i < iodepth; i++) {
            ByteBuffer buf = f.allocateAligned(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
            f.context().ownerExecutor().execute(new Runnable() {
                long start;
                long pos;

                @Override
                public void run() {
                    pos = rnd.nextLong(blocks) * BLOCK;
                    start = System.nanoTime();
                    f.readAsync(pos, buf.clear()).whenComplete((n, err) -> {
                        long now = System.nanoTime();
                        if (err != null) {
                            done.completeExceptionally(err);
                            return;
                        }
                        int k = (int) counts[0]++;
                        if (k < latencies.length) {
                            latencies[k] = now - start;
                        }
                        if (n == BLOCK && verify(buf, pos)) {
                            counts[1]++;
                        }
                        if (now < deadline) {
                            run();
                        } else if (--running[0] == 0) {
                            done.complete(null);
                        }
                    });
                }
            });
        }
        return done.thenApply(v -> new Result(counts[0], counts[1], (System.nanoTime() - t0) / 1e9,
                p99(latencies, (int) Math.min(counts[0], latencies.length)), 0));
    }

    /** The same random reads with positional {@code FileChannel} reads on {@code iodepth} threads, O_DIRECT or not. */
    private static Result readFileChannel(Path file, long size, int iodepth, double seconds, boolean direct) throws Exception {
        long blocks = size / BLOCK;
        OpenOption[] options = direct ? new OpenOption[] {READ, com.sun.nio.file.ExtendedOpenOption.DIRECT} : new OpenOption[] {READ};
        ExecutorService pool = Executors.newFixedThreadPool(iodepth);
        try (FileChannel ch = FileChannel.open(file, options)) {
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            long t0 = System.nanoTime();
            Future<?>[] workers = new Future<?>[iodepth];
            long[][] lat = new long[iodepth][];
            long[][] cnt = new long[iodepth][2];
            for (int w = 0; w < iodepth; w++) {
                int id = w;
                workers[w] = pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(1000 + id);
                    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK * 2).alignedSlice(BLOCK).limit(BLOCK).slice()
                            .order(ByteOrder.LITTLE_ENDIAN);
                    long[] l = new long[1 << 18];
                    int n = 0;
                    while (System.nanoTime() < deadline) {
                        long pos = rnd.nextLong(blocks) * BLOCK;
                        long s = System.nanoTime();
                        buf.clear();
                        int r = ch.read(buf, pos);
                        long now = System.nanoTime();
                        if (n < l.length) {
                            l[n] = now - s;
                        }
                        n++;
                        if (r == BLOCK && verify(buf, pos)) {
                            cnt[id][1]++;
                        }
                    }
                    cnt[id][0] = n;
                    lat[id] = Arrays.copyOf(l, Math.min(n, l.length));
                    return null;
                });
            }
            for (Future<?> w : workers) {
                w.get((long) seconds + 60, TimeUnit.SECONDS);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long ops = 0;
            long ok = 0;
            int total = 0;
            for (int w = 0; w < iodepth; w++) {
                ops += cnt[w][0];
                ok += cnt[w][1];
                total += lat[w].length;
            }
            long[] all = new long[total];
            int off = 0;
            for (long[] l : lat) {
                System.arraycopy(l, 0, all, off, l.length);
                off += l.length;
            }
            return new Result(ops, ok, secs, p99(all, all.length), 0);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long p99(long[] values, int n) {
        if (n == 0) {
            return 0;
        }
        long[] v = Arrays.copyOf(values, n);
        Arrays.sort(v);
        return v[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)];
    }
}

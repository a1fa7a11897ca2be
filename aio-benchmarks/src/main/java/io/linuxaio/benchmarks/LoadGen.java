package io.linuxaio.benchmarks;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.linuxaio.AioOpenOption;
import io.linuxaio.AlignedBuffers;
import io.linuxaio.examples.ByteSize;
import io.linuxaio.netty.EpollAio;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fio-comparable load generator: the same vocabulary ({@code --rw --bs --iodepth --direct --size
 * --runtime --filename --numjobs}) and five engines, so that one workload can be run through fio's libaio,
 * this library (standalone, on a Netty epoll loop or on a Netty io_uring loop) and the JDK's two file APIs:
 *
 * <pre>java -jar aio-benchmarks/target/aio-benchmarks.jar --engine aio --rw randread --bs 4k --iodepth 32 --direct --size 1g --runtime 10 --filename /data/f</pre>
 *
 * With {@code jmh} as the first argument the same jar runs the JMH microbenchmarks
 * ({@code java -jar aio-benchmarks.jar jmh SubmitReapBenchmark -prof gc}).
 *
 * Prints IOPS, MiB/s, latency percentiles (HdrHistogram) and the CPU time per I/O of the whole process
 * (user and system), and with {@code --json} one JSON line per run.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
        description = "A fio-comparable load generator for linux-aio and the JDK's file APIs.")
public final class LoadGen implements Callable<Integer> {

    enum Engine { aio, aio_netty, aio_netty_uring, afc, filechannel }

    enum Rw { read, write, randread, randwrite, randrw }

    @Option(names = "--engine", defaultValue = "aio", converter = EngineConverter.class,
            description = "aio | aio-netty (epoll loop) | aio-netty-uring (io_uring loop) | afc | filechannel (default: ${DEFAULT-VALUE})")
    Engine engine;

    @Option(names = "--rw", defaultValue = "randread", description = "read | write | randread | randwrite | randrw")
    Rw rw;

    @Option(names = "--bs", defaultValue = "4k", converter = ByteSize.Bytes.class, description = "block size (default: 4k)")
    long bs;

    @Option(names = "--iodepth", defaultValue = "32", description = "requests in flight per job (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--direct", description = "O_DIRECT")
    boolean direct;

    @Option(names = "--size", defaultValue = "1g", converter = ByteSize.Bytes.class, description = "bytes of the file used (default: 1g)")
    long size;

    @Option(names = "--runtime", defaultValue = "10", description = "seconds (default: ${DEFAULT-VALUE})")
    double runtime;

    @Option(names = "--ramp", defaultValue = "1", description = "seconds of warm-up not measured (default: ${DEFAULT-VALUE})")
    double ramp;

    @Option(names = "--ramp-ios", defaultValue = "50000",
            description = "and at least this many I/Os of all jobs (default: ${DEFAULT-VALUE}), waited for up to "
                    + MAX_EXTRA_RAMP_SECONDS + " s more")
    long rampIos;

    @Option(names = "--filename", required = true, description = "the file (created and filled when missing or short)")
    Path filename;

    @Option(names = "--numjobs", defaultValue = "1", description = "jobs, each with its own context or loop (default: 1)")
    int numjobs;

    @Option(names = "--rwmixread", defaultValue = "50", description = "percentage of reads for randrw (default: 50)")
    int rwmixread;

    @Option(names = "--json", description = "print one JSON line")
    boolean json;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) { // the JMH microbenchmarks of the same jar
            org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        int code = new CommandLine(new LoadGen()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** The outcome of one run. */
    public record Result(String engine, String rw, long bs, int iodepth, boolean direct, int numjobs, long warmUpIos, long ios,
                         double seconds, double iops, double mibps, long p50ns, long p99ns, long p999ns, long maxns,
                         double userUsPerIo, double sysUsPerIo) {
        String json() {
            return String.format(Locale.ROOT, "{\"engine\":\"%s\",\"rw\":\"%s\",\"bs\":%d,\"iodepth\":%d,\"direct\":%b,"
                            + "\"numjobs\":%d,\"warm_up_ios\":%d,\"ios\":%d,\"seconds\":%.3f,\"iops\":%.1f,\"mibps\":%.2f,\"p50_us\":%.1f,"
                            + "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"cpu_user_us_per_io\":%.3f,\"cpu_sys_us_per_io\":%.3f}",
                    engine, rw, bs, iodepth, direct, numjobs, warmUpIos, ios, seconds, iops, mibps, p50ns / 1e3, p99ns / 1e3,
                    p999ns / 1e3, maxns / 1e3, userUsPerIo, sysUsPerIo);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (bs <= 0 || iodepth <= 0 || numjobs <= 0 || size < bs || runtime <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--bs, --iodepth, --numjobs and --runtime must be "
                    + "positive and --size at least --bs");
        }
        if (ramp < 0 || rampIos < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ramp and --ramp-ios must be 0 or more, not "
                    + ramp + " and " + rampIos);
        }
        if (engine == Engine.aio_netty_uring && !IoUring.isAvailable()) {
            spec.commandLine().getErr().println("--engine aio-netty-uring needs io_uring, which is unavailable here: "
                    + IoUring.unavailabilityCause());
            return 1;
        }
        prepareFile(filename, size);
        Result r = run();
        if (json) {
            out.println(r.json());
        } else {
            out.printf(Locale.ROOT, "%s %s bs=%d iodepth=%d direct=%b numjobs=%d: %.0f IOPS, %.1f MiB/s, lat p50 %.1f us, "
                            + "p99 %.1f us, p99.9 %.1f us, max %.1f us, cpu %.2f us user + %.2f us sys per I/O%n",
                    r.engine(), r.rw(), r.bs(), r.iodepth(), r.direct(), r.numjobs(), r.iops(), r.mibps(), r.p50ns() / 1e3,
                    r.p99ns() / 1e3, r.p999ns() / 1e3, r.maxns() / 1e3, r.userUsPerIo(), r.sysUsPerIo());
        }
        out.flush();
        return 0;
    }

    /** Makes sure the file holds at least {@code size} bytes of data (not a hole), so reads hit the disk. */
    static void prepareFile(Path file, long size) throws IOException {
        if (Files.exists(file) && Files.size(file) >= size) {
            return;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            SplittableRandom rnd = new SplittableRandom(1);
            for (long pos = ch.size() / (1 << 20) * (1 << 20); pos < size; pos += buf.capacity()) {
                buf.clear();
                while (buf.remaining() >= 8) {
                    buf.putLong(rnd.nextLong());
                }
                buf.flip().limit((int) Math.min(buf.capacity(), size - pos));
                while (buf.hasRemaining()) {
                    ch.write(buf, pos + buf.position());
                }
            }
            ch.force(true);
        }
    }

    /**
     * The longest the warm-up waits past {@code --ramp} for {@code --ramp-ios}. A time alone is too short where
     * I/Os are few: at 2.8k 1 MiB reads a second C2 compiled the completion thread's loop after about 35,000
     * I/Os (14 s), and the 5 s measured after a 1 s ramp cost 24.9 us of user CPU per I/O, after a 20 s ramp
     * 5.0 to 6.4 (the default, 50,000 I/Os, is under a second of 4 KiB reads).
     */
    static final int MAX_EXTRA_RAMP_SECONDS = 30;

    /** One job's work: issue {@code iodepth} requests and keep them in flight until told to stop. */
    abstract class Job {
        final int id;
        final Histogram histogram = new Histogram(3_600_000_000_000L, 3);
        final SplittableRandom rnd;
        final long blocks = size / bs;
        long seqNext;
        long ios;
        /** I/Os done before measuring began; added to on the job's threads, read by the main thread. */
        final LongAdder warmUpIos = new LongAdder();
        volatile boolean measuring;
        volatile boolean stopping;
        final CompletableFuture<Void> stopped = new CompletableFuture<>();
        int inFlight;

        Job(int id) {
            this.id = id;
            this.rnd = new SplittableRandom(100 + id);
            this.seqNext = (blocks / numjobs) * id;
        }

        long nextOffset() {
            return switch (rw) {
                case read, write -> {
                    long b = seqNext++ % blocks;
                    yield b * bs;
                }
                default -> rnd.nextLong(blocks) * bs;
            };
        }

        boolean nextIsRead() {
            return switch (rw) {
                case read, randread -> true;
                case write, randwrite -> false;
                case randrw -> rnd.nextInt(100) < rwmixread;
            };
        }

        void record(long startNanos) {
            if (measuring) {
                histogram.recordValue(Math.max(0, System.nanoTime() - startNanos));
                ios++;
            } else {
                warmUpIos.increment();
            }
        }

        abstract void start() throws Exception;

        abstract void close() throws Exception;
    }

    ByteBuffer buffer(int alignment) {
        return AlignedBuffers.allocate((int) bs, Math.max(alignment, 4096));
    }

    Set<OpenOption> jdkOptions() {
        Set<OpenOption> o = new HashSet<>(Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        if (direct) {
            o.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        }
        return o;
    }

    /**
     * Linux AIO: the requests chain on the owner thread (the completion thread, or the Netty loop). With a
     * loop's {@code IoHandlerFactory} (epoll or io_uring) the context is bound to a one-loop group of it;
     * with {@code null} it runs on its own completion thread.
     */
    final class AioJob extends Job {
        final AioContext ctx;
        final AioFile file;
        final EventLoopGroup group;

        AioJob(int id, IoHandlerFactory loop) throws Exception {
            super(id);
            AioContext.Builder b = AioContext.builder().queueDepth(Math.max(iodepth, 1)).name("loadgen-" + id);
            if (loop != null) {
                group = new MultiThreadIoEventLoopGroup(1, loop);
                ctx = EpollAio.bind(group.next(), b);
            } else {
                group = null;
                ctx = b.build();
            }
            file = direct ? ctx.open(filename, StandardOpenOption.READ, StandardOpenOption.WRITE, AioOpenOption.DIRECT)
                    : ctx.open(filename, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }

        @Override
        void start() {
            ctx.ownerExecutor().execute(() -> {
                for (int i = 0; i < iodepth; i++) {
                    ByteBuffer buf = buffer(file.alignment().memoryAlignment());
                    issue(buf);
                }
            });
        }

        void issue(ByteBuffer buf) {
            long pos = nextOffset();
            long t0 = System.nanoTime();
            buf.clear();
            CompletableFuture<Integer> f = nextIsRead() ? file.readAsync(pos, buf) : file.writeAsync(pos, buf);
            inFlight++;
            f.whenComplete((n, err) -> {
                inFlight--;
                if (err != null) {
                    stopped.completeExceptionally(err);
                    return;
                }
                record(t0);
                if (!stopping) {
                    issue(buf);
                } else if (inFlight == 0) {
                    stopped.complete(null);
                }
            });
        }

        @Override
        void close() throws Exception {
            file.close();
            ctx.close();
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    /** AsynchronousFileChannel: completion handlers on the JDK's default pool chain the next request. */
    final class AfcJob extends Job {
        final AsynchronousFileChannel ch;
        final ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();

        AfcJob(int id) throws IOException {
            super(id);
            ch = AsynchronousFileChannel.open(filename, jdkOptions(), pool);
        }

        @Override
        void start() {
            for (int i = 0; i < iodepth; i++) {
                active.incrementAndGet();
                issue(buffer(4096), new SplittableRandom(1000L * id + i));
            }
        }

        void issue(ByteBuffer buf, SplittableRandom r) {
            long pos = rw == Rw.read || rw == Rw.write ? nextSeq() : r.nextLong(blocks) * bs;
            boolean read = rw == Rw.randrw ? r.nextInt(100) < rwmixread : rw == Rw.read || rw == Rw.randread;
            long t0 = System.nanoTime();
            buf.clear();
            CompletionHandler<Integer, Void> h = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, Void a) {
                    recordSync(t0);
                    if (!stopping) {
                        issue(buf, r);
                    } else if (active.decrementAndGet() == 0) {
                        stopped.complete(null);
                    }
                }

                @Override
                public void failed(Throwable t, Void a) {
                    stopped.completeExceptionally(t);
                }
            };
            if (read) {
                ch.read(buf, pos, null, h);
            } else {
                ch.write(buf, pos, null, h);
            }
        }

        synchronized long nextSeq() {
            return (seqNext++ % blocks) * bs;
        }

        synchronized void recordSync(long t0) {
            record(t0);
        }

        @Override
        void close() throws Exception {
            ch.close();
            pool.shutdownNow();
        }
    }

    /** Positional FileChannel reads and writes on {@code iodepth} threads. */
    final class FileChannelJob extends Job {
        final FileChannel ch;
        final List<Thread> threads = new ArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();

        FileChannelJob(int id) throws IOException {
            super(id);
            ch = FileChannel.open(filename, jdkOptions());
        }

        @Override
        void start() {
            for (int i = 0; i < iodepth; i++) {
                SplittableRandom r = new SplittableRandom(1000L * id + i);
                active.incrementAndGet();
                Thread t = new Thread(() -> {
                    ByteBuffer buf = buffer(4096);
                    try {
                        while (!stopping) {
                            long pos = rw == Rw.read || rw == Rw.write ? nextSeq() : r.nextLong(blocks) * bs;
                            boolean read = rw == Rw.randrw ? r.nextInt(100) < rwmixread : rw == Rw.read || rw == Rw.randread;
                            long t0 = System.nanoTime();
                            buf.clear();
                            if (read) {
                                ch.read(buf, pos);
                            } else {
                                ch.write(buf, pos);
                            }
                            recordSync(t0);
                        }
                        if (active.decrementAndGet() == 0) {
                            stopped.complete(null);
                        }
                    } catch (IOException e) {
                        stopped.completeExceptionally(e);
                    }
                }, "filechannel-" + id + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        synchronized long nextSeq() {
            return (seqNext++ % blocks) * bs;
        }

        synchronized void recordSync(long t0) {
            record(t0);
        }

        @Override
        void close() throws Exception {
            for (Thread t : threads) {
                t.join(10_000);
            }
            ch.close();
        }
    }

    /** Runs the workload and measures it. */
    Result run() throws Exception {
        List<Job> jobs = new ArrayList<>();
        try {
            for (int i = 0; i < numjobs; i++) {
                jobs.add(switch (engine) {
                    case aio -> new AioJob(i, null);
                    case aio_netty -> new AioJob(i, EpollIoHandler.newFactory());
                    case aio_netty_uring -> new AioJob(i, IoUringIoHandler.newFactory());
                    case afc -> new AfcJob(i);
                    case filechannel -> new FileChannelJob(i);
                });
            }
            for (Job j : jobs) {
                j.start();
            }
            Thread.sleep((long) (ramp * 1000)); // warm-up: the JIT compiles the hot path, queues fill
            long extraUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_EXTRA_RAMP_SECONDS);
            while (warmUpIos(jobs) < rampIos && System.nanoTime() < extraUntil) {
                Thread.sleep(20);
            }
            long[] cpu0 = cpuTicks();
            long t0 = System.nanoTime();
            for (Job j : jobs) {
                j.measuring = true;
            }
            long warmedUp = warmUpIos(jobs);
            Thread.sleep((long) (runtime * 1000));
            for (Job j : jobs) {
                j.measuring = false;
            }
            long t1 = System.nanoTime();
            long[] cpu1 = cpuTicks();
            for (Job j : jobs) {
                j.stopping = true;
            }
            for (Job j : jobs) {
                j.stopped.get(60, TimeUnit.SECONDS);
            }
            Histogram all = new Histogram(3_600_000_000_000L, 3);
            long ios = 0;
            for (Job j : jobs) {
                all.add(j.histogram);
                ios += j.ios;
            }
            double secs = (t1 - t0) / 1e9;
            double tick = 1e6 / 100.0; // /proc/self/stat counts in USER_HZ = 100 ticks a second
            double userUs = (cpu1[0] - cpu0[0]) * tick / Math.max(1, ios);
            double sysUs = (cpu1[1] - cpu0[1]) * tick / Math.max(1, ios);
            return new Result(engine.name().replace('_', '-'), rw.name(), bs, iodepth, direct, numjobs, warmedUp, ios, secs,
                    ios / secs, ios * bs / secs / (1 << 20), all.getValueAtPercentile(50), all.getValueAtPercentile(99),
                    all.getValueAtPercentile(99.9), all.getMaxValue(), userUs, sysUs);
        } finally {
            for (Job j : jobs) {
                j.close();
            }
        }
    }

    /** The I/Os all jobs made before measuring began. */
    private static long warmUpIos(List<Job> jobs) {
        return jobs.stream().mapToLong(j -> j.warmUpIos.sum()).sum();
    }

    /** utime and stime of this process, in clock ticks, from /proc/self/stat. */
    static long[] cpuTicks() throws IOException {
        String stat = Files.readAllLines(Path.of("/proc/self/stat")).get(0);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    static final class EngineConverter implements CommandLine.ITypeConverter<Engine> {
        @Override
        public Engine convert(String value) {
            return Engine.valueOf(value.toLowerCase(Locale.ROOT).replace('-', '_'));
        }
    }
}

package io.linuxaio.benchmarks;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioOpenOption;
import io.linuxaio.AlignedBuffers;
import io.linuxaio.examples.ByteSize;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * N virtual threads each reading 4 KiB blocks at random, blocking-style, from a cold O_DIRECT file or
 * from the page cache: this library ({@link AioFile#read}) against {@code FileChannel} on the same virtual
 * threads. Reports throughput, p99 latency and the platform threads the JVM started meanwhile (a blocking
 * file read on a virtual thread makes the scheduler add carrier threads; a parked one does not).
 *
 * <pre>java -cp aio-benchmarks/target/aio-benchmarks.jar io.linuxaio.benchmarks.VirtualThreadsBench --filename /data/f</pre>
 */
@Command(name = "vthreads", mixinStandardHelpOptions = true,
        description = "Virtual threads reading files: linux-aio vs FileChannel.")
public final class VirtualThreadsBench implements Callable<Integer> {

    @Option(names = "--filename", required = true, description = "the file (created and filled when short)")
    Path filename;

    @Option(names = "--size", defaultValue = "1g", converter = ByteSize.Bytes.class, description = "bytes used (default 1g)")
    long size;

    @Option(names = "--seconds", defaultValue = "5", description = "seconds per run (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warm-up", defaultValue = "1",
            description = "seconds of each run not measured, before --seconds (default: ${DEFAULT-VALUE})")
    double warmUp;

    @Option(names = "--threads", split = ",", defaultValue = "100,1000,10000", description = "virtual thread counts")
    List<Integer> threads;

    @Option(names = "--modes", split = ",", defaultValue = "direct,cached", description = "direct (cold O_DIRECT) and/or cached")
    List<String> modes;

    @Option(names = "--reps", defaultValue = "1",
            description = "runs of each engine per thread count, in alternating order (A B, B A, ...); with more than "
                    + "one, the median ratio is printed (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--engines", split = ",", defaultValue = "linux-aio,filechannel",
            description = "linux-aio and/or filechannel (default: ${DEFAULT-VALUE}); a ratio needs both")
    List<String> engines;

    @Option(names = "--queue-depth", defaultValue = "256", description = "the AIO context's queue depth (default: ${DEFAULT-VALUE})")
    int queueDepth;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        int code = new CommandLine(new VirtualThreadsBench()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    interface Reader {
        void read(long position, ByteBuffer buf) throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (reps < 1 || seconds <= 0 || warmUp < 0 || threads.stream().anyMatch(n -> n < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--reps, --seconds and each of --threads must be "
                    + "positive and --warm-up 0 or more, not " + reps + ", " + seconds + ", " + threads + " and " + warmUp);
        }
        if (engines.isEmpty() || engines.size() > 2 || !Set.of("linux-aio", "filechannel").containsAll(engines)
                || Set.copyOf(engines).size() != engines.size()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--engines: linux-aio and/or filechannel, not " + engines);
        }
        for (String mode : modes) {
            if (!mode.equals("direct") && !mode.equals("cached")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--modes: direct or cached, not " + mode);
            }
        }
        LoadGen.prepareFile(filename, size);
        out.printf("%-8s %-12s %8s %12s %10s %18s%n", "mode", "engine", "threads", "reads/s", "p99 (us)", "platform threads+");
        for (String mode : modes) {
            boolean direct = mode.equals("direct");
            if (!direct) {
                warm();
            }
            for (int n : threads) {
                double[] ratios = new double[reps];
                for (int rep = 0; rep < reps; rep++) {
                    // the engine that runs second meets the first one's leftovers (a warmer JIT, a busier GC):
                    // each rep swaps the order
                    List<String> order = rep % 2 == 0 ? engines : engines.reversed();
                    double aio = 0;
                    double fileChannel = 0;
                    for (String engine : order) {
                        Row r = engine.equals("linux-aio") ? runAio(n, direct) : runFileChannel(n, direct);
                        out.printf(Locale.ROOT, "%-8s %-12s %8d %12.0f %10.1f %18d%n", mode, engine, n, r.perSecond, r.p99Us,
                                r.platformThreadsStarted);
                        out.flush();
                        if (engine.equals("linux-aio")) {
                            aio = r.perSecond;
                        } else {
                            fileChannel = r.perSecond;
                        }
                    }
                    ratios[rep] = aio / fileChannel;
                }
                if (reps > 1 && engines.size() == 2) {
                    java.util.Arrays.sort(ratios);
                    out.printf(Locale.ROOT, "%-8s linux-aio / FileChannel reads/s at %d threads: median %.2fx of %d (%.2f to %.2f)%n",
                            mode, n, ratios[reps / 2], reps, ratios[0], ratios[reps - 1]);
                    out.flush();
                }
            }
        }
        return 0;
    }

    record Row(double perSecond, double p99Us, long platformThreadsStarted) {
    }

    private void warm() throws Exception {
        try (FileChannel ch = FileChannel.open(filename, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            for (long p = 0; p < size; p += b.capacity()) {
                b.clear();
                ch.read(b, p);
            }
        }
    }

    private Row runAio(int n, boolean direct) throws Exception {
        try (AioContext ctx = AioContext.builder().queueDepth(queueDepth).maxQueued(Math.max(65536, n)).build();
             AioFile f = direct ? ctx.open(filename, StandardOpenOption.READ, AioOpenOption.DIRECT)
                     : ctx.open(filename, StandardOpenOption.READ)) {
            return run(n, f::read);
        }
    }

    private Row runFileChannel(int n, boolean direct) throws Exception {
        Set<OpenOption> o = new HashSet<>(Set.of(StandardOpenOption.READ));
        if (direct) {
            o.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        }
        try (FileChannel ch = FileChannel.open(filename, o)) {
            return run(n, (pos, buf) -> ch.read(buf, pos));
        }
    }

    private Row run(int n, Reader reader) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long startedBefore = mx.getTotalStartedThreadCount();
        Recorder recorder = new Recorder(3);
        LongAdder reads = new LongAdder();
        long blocks = size / 4096;
        long warmupEnd = System.nanoTime() + (long) (warmUp * 1e9);
        long end = warmupEnd + (long) (seconds * 1e9);
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int id = i;
            Thread.ofVirtual().start(() -> {
                SplittableRandom rnd = new SplittableRandom(id);
                ByteBuffer buf = AlignedBuffers.allocate(4096, 4096);
                try {
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        buf.clear();
                        reader.read(rnd.nextLong(blocks) * 4096, buf);
                        long after = System.nanoTime();
                        if (now >= warmupEnd) {
                            recorder.recordValue(after - now);
                            reads.increment();
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        Histogram h = recorder.getIntervalHistogram();
        long started = mx.getTotalStartedThreadCount() - startedBefore;
        return new Row(reads.sum() / seconds, h.getValueAtPercentile(99) / 1e3, started);
    }
}

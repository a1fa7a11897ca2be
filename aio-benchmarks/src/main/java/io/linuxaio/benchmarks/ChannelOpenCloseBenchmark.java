package io.linuxaio.benchmarks;

import io.linuxaio.AioAsynchronousFileChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The cost of opening and closing one channel on its own (no other channel open), the JDK's
 * {@link AsynchronousFileChannel} against {@link AioAsynchronousFileChannel} on its default context: the
 * pattern of code that opens a file per task. The default context outlives its last channel, so a cycle
 * costs the two system calls and the objects, not a kernel context's teardown (30-40 ms of
 * {@code io_destroy}).
 *
 * <pre>java -jar aio-benchmarks/target/aio-benchmarks.jar jmh ChannelOpenCloseBenchmark</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class ChannelOpenCloseBenchmark {

    Path path;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        path = Files.createTempFile("linux-aio-jmh-open", ".bin");
        Files.write(path, new byte[4096]);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        AioAsynchronousFileChannel.releaseDefaultContext();
        Files.deleteIfExists(path);
    }

    @Benchmark
    public boolean jdkOpenClose() throws Exception {
        AsynchronousFileChannel ch = AsynchronousFileChannel.open(path, StandardOpenOption.READ);
        ch.close();
        return ch.isOpen();
    }

    @Benchmark
    public boolean aioOpenClose() throws Exception {
        AsynchronousFileChannel ch = AioAsynchronousFileChannel.open(path, StandardOpenOption.READ);
        ch.close();
        return ch.isOpen();
    }
}

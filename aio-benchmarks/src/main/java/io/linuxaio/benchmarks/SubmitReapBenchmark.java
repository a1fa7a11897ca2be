package io.linuxaio.benchmarks;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.abi.AioAbi;
import io.linuxaio.abi.IoEvent;
import io.linuxaio.abi.IoVec;
import io.linuxaio.abi.Iocb;
import io.linuxaio.abi.LibC;
import io.linuxaio.abi.LinuxAio;
import io.linuxaio.spi.AioDriver;
import io.linuxaio.spi.ManualOwner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * CPU cost per request of submit + reap, for batches of 1 and 32 page-cached 4 KiB reads (so the device
 * is not measured), with completions reaped in user space or by {@code io_getevents}; the raw binding,
 * one bare {@code preadv2(RWF_NOWAIT)} and positional {@code FileChannel} reads as baselines. The
 * benchmark thread is the context's owner: no thread hand-over is measured. The fast path
 * ({@code inlineCachedReads}) has cases of its own: 32 random reads made on the owner, done at the call
 * and delivered by its next task, and a read made off the owner (a context with a completion thread of
 * its own), complete when the call returns. Run with {@code -prof gc} for the bytes allocated per request.
 *
 * <pre>java -jar aio-benchmarks/target/aio-benchmarks.jar jmh SubmitReapBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class SubmitReapBenchmark {

    private static final int BLOCK = 4096;
    private static final int FILE_BLOCKS = 256;

    @Param({"true", "false"})
    public boolean userSpaceReaping;

    Path path;
    /** The benchmark thread owns the context: tasks it schedules run when it says so. */
    ManualOwner owner;
    AioDriver driver;
    AioContext ctx;
    AioFile file;
    ByteBuffer[] bufs;
    @SuppressWarnings("unchecked")
    CompletableFuture<Integer>[] futures = new CompletableFuture[32];
    FileChannel channel;
    int next;

    // the fast path: a context of the same owner with inline reads, and one with a completion thread of its own
    AioDriver inlineDriver;
    AioFile inlineFile;
    AioContext offOwnerCtx;
    AioFile offOwnerFile;

    // raw binding baseline
    Arena arena;
    long rawCtx;
    int rawFd;
    MemorySegment iocbs;
    MemorySegment iocbpp;
    MemorySegment events;
    MemorySegment rawBuf;
    MemorySegment rawIovec;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        path = Files.createTempFile("linux-aio-jmh", ".bin");
        byte[] data = new byte[BLOCK * FILE_BLOCKS];
        new java.util.Random(1).nextBytes(data);
        Files.write(path, data);
        Files.readAllBytes(path); // page-cached
        owner = new ManualOwner().bindToCurrentThread();
        // the submit + reap cases measure the kernel's path: no read done inline
        driver = AioDriver.create(AioContext.builder().queueDepth(64).userSpaceReaping(userSpaceReaping)
                .inlineCachedReads(false), owner);
        ctx = driver.context();
        file = ctx.open(path);
        inlineDriver = AioDriver.create(AioContext.builder().queueDepth(64).userSpaceReaping(userSpaceReaping)
                .inlineCachedReads(true), owner);
        inlineFile = inlineDriver.context().open(path);
        offOwnerCtx = AioContext.builder().queueDepth(64).userSpaceReaping(userSpaceReaping).inlineCachedReads(true).build();
        offOwnerFile = offOwnerCtx.open(path);
        bufs = new ByteBuffer[32];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = ByteBuffer.allocateDirect(BLOCK);
        }
        channel = FileChannel.open(path, StandardOpenOption.READ);

        arena = Arena.ofShared();
        rawCtx = LinuxAio.ioSetup(64);
        rawFd = LibC.open(path, LibC.O_RDONLY, 0);
        iocbs = arena.allocate(Iocb.SIZE * 32, 64);
        iocbpp = arena.allocate(ValueLayout.ADDRESS, 32);
        events = arena.allocate(IoEvent.LAYOUT, 32);
        rawBuf = arena.allocate((long) BLOCK * 32, 4096);
        rawIovec = arena.allocate(IoVec.SIZE, 8);
        IoVec.set(rawIovec, 0, rawBuf.address(), BLOCK);
        for (int i = 0; i < 32; i++) {
            iocbpp.setAtIndex(ValueLayout.JAVA_LONG, i, iocbs.address() + i * Iocb.SIZE);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        file.close();
        ctx.close();
        inlineFile.close();
        inlineDriver.context().close();
        owner.runTasks();
        offOwnerFile.close();
        offOwnerCtx.close();
        channel.close();
        LinuxAio.ioDestroy(rawCtx);
        LibC.close(rawFd);
        arena.close();
        Files.deleteIfExists(path);
    }

    private int batch(int n) {
        for (int i = 0; i < n; i++) {
            bufs[i].clear();
            futures[i] = file.readAsync((long) ((next++) % FILE_BLOCKS) * BLOCK, bufs[i]);
        }
        owner.runTasks(); // the flush task: one io_submit for the batch
        return awaitAll(n, driver);
    }

    /** Runs the owner's turns until the first {@code n} futures are done; their counts summed. */
    private int awaitAll(int n, AioDriver d) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
            while (!futures[i].isDone()) {
                d.runOwnerTurn();
                owner.runTasks();
            }
            sum += futures[i].join();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public int aioBatch1() {
        return batch(1);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int aioBatch32() {
        return batch(32);
    }

    /** An even block, 7 even blocks past the last: reads end at odd blocks, where none starts (no read continues another). */
    private long randomBlock() {
        return (long) ((next++ * 7) % (FILE_BLOCKS / 2)) * 2 * BLOCK;
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int inlineOnOwnerBatch32() {
        for (int i = 0; i < 32; i++) {
            bufs[i].clear();
            futures[i] = inlineFile.readAsync(randomBlock(), bufs[i]);
        }
        owner.runTasks(); // the round that delivers them
        return awaitAll(32, inlineDriver);
    }

    @Benchmark
    public int inlineOffOwner() {
        bufs[0].clear();
        return offOwnerFile.readAsync(randomBlock(), bufs[0]).join();
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public long rawBindingBatch32() {
        for (int i = 0; i < 32; i++) {
            Iocb.prep(iocbs.asSlice(i * Iocb.SIZE, Iocb.SIZE), (short) 0, rawFd, rawBuf.address() + (long) i * BLOCK, BLOCK,
                    (long) ((next++) % FILE_BLOCKS) * BLOCK, i, 0, 0, (short) 0, 0);
        }
        long submitted = LinuxAio.io_submit(rawCtx, 32, iocbpp);
        long got = 0;
        while (got < submitted) {
            long r = LinuxAio.io_getevents(rawCtx, 1, 32, events, MemorySegment.NULL);
            got += Math.max(0, r);
        }
        return got;
    }

    /** The system call the fast path makes, alone: what a read done inline cannot go below. */
    @Benchmark
    public long rawPreadv2() {
        return LibC.preadv2(rawFd, rawIovec, 1, (long) ((next++) % FILE_BLOCKS) * BLOCK, AioAbi.RWF_NOWAIT);
    }

    @Benchmark
    public int fileChannelRead() throws Exception {
        bufs[0].clear();
        return channel.read(bufs[0], (long) ((next++) % FILE_BLOCKS) * BLOCK);
    }
}

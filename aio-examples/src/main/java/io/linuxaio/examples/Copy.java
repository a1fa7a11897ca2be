package io.linuxaio.examples;

import static io.linuxaio.examples.ExampleSupport.await;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioMetrics;
import io.linuxaio.AioOpenOption;
import io.linuxaio.AlignedBuffers;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * {@code cp} through Linux AIO: {@code --iodepth} blocks in flight, each read then written by callbacks on the
 * context's completion thread; the destination is preallocated, cut to the exact size and fsynced.
 * {@code --direct} copies with O_DIRECT (the tail past the last aligned block goes through the page cache),
 * {@code --verify} reads both files back and compares them.
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.Copy -Dexec.args="--direct --verify big.iso /tmp/big.iso"</pre>
 */
@Command(name = "copy", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Copies SRC to DST with Linux AIO, several blocks in flight, then reports MiB/s and the library's counters.")
public final class Copy implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SRC", description = "the file to copy")
    Path source;

    @Parameters(index = "1", paramLabel = "DST", description = "the copy: created; an existing file is refused "
            + "unless --replace")
    Path target;

    @Option(names = "--replace", description = "overwrite DST if it is an existing regular file (cut to SRC's size)")
    boolean replace;

    @Option(names = "--iodepth", defaultValue = "16", description = "blocks in flight (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--block-size", defaultValue = "1M", converter = ByteSize.BufferSize.class,
            description = "bytes per request: 4096, 64K, 1M... (default: ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--direct", description = "O_DIRECT on both files: no page cache")
    boolean direct;

    @Option(names = "--verify", description = "read both files back and compare them")
    boolean verify;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (iodepth < 1) {
            throw new ParameterException(spec.commandLine(), "--iodepth must be at least 1");
        }
        if (Files.isDirectory(target)) {
            throw new FileSystemException(target.toString(), null, "is a directory; DST names the copy");
        }
        if (Files.exists(target)) {
            if (Files.isSameFile(source, target)) {
                throw new FileSystemException(target.toString(), null, "the same file as the source");
            }
            if (!replace) {
                throw new FileAlreadyExistsException(target.toString(), null, "already exists; --replace overwrites it");
            }
            if (!Files.isRegularFile(target)) {
                throw new FileSystemException(target.toString(), null, "is not a regular file");
            }
        }
        return copy(spec.commandLine().getOut(), spec.commandLine().getErr()) ? 0 : 1;
    }

    private boolean copy(PrintWriter out, PrintWriter err) throws IOException {
        // Each lane may have two requests in flight (verify reads both files at once).
        try (AioContext ctx = AioContext.builder().name("copy").queueDepth(2 * iodepth).build();
             AioFile src = ctx.open(source, options(READ));
             AioFile dst = ctx.open(target, options(WRITE, replace ? CREATE : CREATE_NEW))) {
            long size = src.size();
            // O_DIRECT: buffer addresses, positions and lengths must be aligned for both files.
            int align = direct ? Math.max(src.alignment().offsetAlignment(), dst.alignment().offsetAlignment()) : 1;
            int memAlign = direct ? Math.max(src.alignment().memoryAlignment(), dst.alignment().memoryAlignment()) : 8;
            if (blockSize % align != 0) {
                throw new ParameterException(spec.commandLine(), "--block-size " + blockSize
                        + " is not a multiple of the O_DIRECT alignment " + align);
            }
            ByteBuffer[] bufs = new ByteBuffer[iodepth];
            for (int i = 0; i < iodepth; i++) {
                bufs[i] = AlignedBuffers.allocate(blockSize, memAlign);
            }

            long t0 = System.nanoTime();
            if (size > 0) {
                // Reserve the space up front (fallocate): no ENOSPC halfway, no fragmentation. Writes into
                // blocks that are not written yet may still block in the filesystem (ext4 converts
                // "unwritten" extents): the library then runs them on its blocking pool, see the metrics.
                await(dst.allocate(0, size));
            }
            // O_DIRECT can only write whole aligned blocks: the lanes copy [0, body), the tail comes after.
            long body = size - size % align;
            try (ProgressBar bar = progressBar("copy", size)) {
                forEachBlock(body, iodepth, (position, lane) -> {
                    ByteBuffer buf = bufs[lane].clear().limit((int) Math.min(blockSize, body - position));
                    int length = buf.remaining();
                    // Both steps run as callbacks on the completion thread: read, then write what was read.
                    return src.readAsync(position, buf)
                            .thenCompose(n -> {
                                expect(n, length, "read of " + source, position);
                                return dst.writeAsync(position, buf.flip());
                            })
                            .thenAccept(n -> {
                                expect(n, length, "write of " + target, position);
                                step(bar, n);
                            });
                });
                if (body < size) {
                    // The tail (less than one alignment unit): read it with an aligned length, the kernel
                    // stops at the end of the file; write it through a buffered descriptor of the same file.
                    int tail = (int) (size - body);
                    try (AioFile buffered = ctx.open(target, WRITE)) {
                        ByteBuffer buf = bufs[0].clear().limit((int) AlignedBuffers.alignUp(tail, align));
                        await(src.readAsync(body, buf)
                                .thenCompose(n -> {
                                    expect(n, tail, "read of " + source, body);
                                    return buffered.writeAsync(body, buf.flip());
                                })
                                .thenAccept(n -> {
                                    expect(n, tail, "write of " + target, body);
                                    step(bar, n);
                                }));
                    }
                }
            }
            await(dst.truncate(size)); // drop the end of an older, longer file
            await(dst.fsync());        // one fsync makes the whole file durable, whichever descriptor wrote it
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "copied %s -> %s: %d bytes in %.3f s, %.1f MiB/s (%s, iodepth %d, %d KiB blocks, fsynced)%n",
                    source, target, size, seconds, size / seconds / (1 << 20), direct ? "O_DIRECT" : "buffered",
                    iodepth, blockSize >> 10);

            boolean same = true;
            if (verify) {
                same = verify(ctx, src, size, align, memAlign, bufs, out, err);
            }
            AioMetrics m = ctx.metrics();
            out.printf(Locale.ROOT, "library metrics: %d requests submitted, %d completed, %d failed, %.1f MiB read, %.1f MiB written, "
                            + "%d on the blocking pool, %d io_submit calls, %d completions reaped in user space%n",
                    m.submitted(), m.completed(), m.failed(), m.bytesRead() / 1048576.0, m.bytesWritten() / 1048576.0,
                    m.fallbacks(), m.ioSubmitCalls(), m.userReapedEvents());
            return same;
        }
    }

    /** Reads both files again, {@code iodepth} blocks of each at a time, and compares them. */
    private boolean verify(AioContext ctx, AioFile a, long size, int align, int memAlign, ByteBuffer[] bufs,
                           PrintWriter out, PrintWriter err) throws IOException {
        AtomicLong firstDifference = new AtomicLong(Long.MAX_VALUE);
        ByteBuffer[] copies = new ByteBuffer[iodepth];
        for (int i = 0; i < iodepth; i++) {
            copies[i] = AlignedBuffers.allocate(blockSize, memAlign);
        }
        try (AioFile b = ctx.open(target, options(READ)); // dst was opened write-only
             ProgressBar bar = progressBar("verify", size)) {
            forEachBlock(size, iodepth, (position, lane) -> {
                // Aligned lengths again: the last block's reads are cut short at the end of the files.
                int length = (int) Math.min(blockSize, AlignedBuffers.alignUp(size - position, align));
                ByteBuffer x = bufs[lane].clear().limit(length);
                ByteBuffer y = copies[lane].clear().limit(length);
                return a.readAsync(position, x).thenCombine(b.readAsync(position, y), (n, m) -> {
                    long at = x.flip().mismatch(y.flip());
                    if (at >= 0 || !n.equals(m)) {
                        firstDifference.accumulateAndGet(position + Math.max(0, at), Math::min);
                    }
                    step(bar, n);
                    return null;
                });
            });
        }
        if (firstDifference.get() != Long.MAX_VALUE) {
            err.printf("verify: %s and %s differ at byte %d%n", source, target, firstDifference.get());
            return false;
        }
        out.printf("verified: %s and %s are identical (%d bytes)%n", source, target, size);
        return true;
    }

    /** What a lane does with the block at {@code position}: the future completes when the block is done. */
    interface BlockStep {
        CompletableFuture<?> start(long position, int lane);
    }

    /**
     * Runs {@code step} on every {@code blockSize} block of {@code [0, end)} with {@code iodepth} lanes: a lane
     * takes the next block as soon as its last one completes (on the completion thread), so {@code iodepth}
     * blocks stay in flight without any thread waiting. Returns when every lane has stopped.
     */
    private void forEachBlock(long end, int lanes, BlockStep step) throws IOException {
        AtomicLong next = new AtomicLong();
        AtomicInteger running = new AtomicInteger(lanes);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        final class Lane {
            final int id;

            Lane(int id) {
                this.id = id;
            }

            void next() {
                long position = next.getAndAdd(blockSize);
                if (position >= end || failure.get() != null) {
                    if (running.decrementAndGet() == 0) { // the last lane reports: nothing is in flight any more
                        if (failure.get() == null) {
                            done.complete(null);
                        } else {
                            done.completeExceptionally(failure.get());
                        }
                    }
                    return;
                }
                CompletableFuture<?> f;
                try {
                    f = step.start(position, id);
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                f.whenComplete((v, t) -> {
                    if (t != null) {
                        failure.compareAndSet(null, t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
                    }
                    next();
                });
            }
        }
        for (int i = 0; i < lanes; i++) {
            new Lane(i).next();
        }
        await(done);
    }

    private OpenOption[] options(StandardOpenOption... options) {
        if (!direct) {
            return options;
        }
        OpenOption[] all = Arrays.copyOf(options, options.length + 1, OpenOption[].class);
        all[options.length] = AioOpenOption.DIRECT;
        return all;
    }

    private ProgressBar progressBar(String task, long bytes) {
        return ExampleSupport.bytesProgressBar(!noProgress, task, bytes);
    }

    private static void step(ProgressBar bar, long n) {
        if (bar != null) {
            bar.stepBy(n);
        }
    }

    private static void expect(int got, int expected, String what, long position) {
        if (got != expected) {
            throw new CompletionException(new IOException(what + " at " + position + " transferred " + got
                    + " bytes instead of " + expected + " (did the file change during the copy?)"));
        }
    }


    public static void main(String[] args) {
        ExampleSupport.main(new Copy(), args);
    }
}

package io.linuxaio.examples;

import static io.linuxaio.examples.ExampleSupport.await;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.AioOpenOption;
import io.linuxaio.AlignedBuffers;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static java.nio.file.StandardOpenOption.READ;

/**
 * {@code cat} through Linux AIO: keeps {@code --iodepth} reads in flight and writes the blocks to standard
 * output in file order, through the page cache or with {@code --direct} (O_DIRECT, aligned buffers).
 *
 * <pre>mvn -q -pl aio-examples -am package -DskipTests exec:java -Dexec.mainClass=io.linuxaio.examples.Cat -Dexec.args="--direct README.md"</pre>
 */
@Command(name = "cat", mixinStandardHelpOptions = true, versionProvider = ExampleVersion.class,
        description = "Writes a file to standard output, reading it with Linux AIO (several reads in flight, in order).")
public final class Cat implements Callable<Integer> {

    @Parameters(index = "0", description = "the file to print")
    Path file;

    @Option(names = "--direct", description = "bypass the page cache (O_DIRECT, aligned buffers)")
    boolean direct;

    @Option(names = "--iodepth", defaultValue = "4", description = "reads in flight (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--block-size", defaultValue = "128K", converter = ByteSize.BufferSize.class,
            description = "bytes per read: 4096, 64K, 1M... (default: ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--no-progress", description = "no progress bar (it goes to stderr, only when stderr is a terminal and stdout is not)")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /**
     * Where the file's bytes go: descriptor 1 itself, not {@code System.out}, which may be a stream that
     * interprets escape sequences (Maven's, under exec:java) and which hides write errors such as EPIPE.
     * Messages go through picocli's writers.
     */
    OutputStream stdout = new FileOutputStream(FileDescriptor.out);

    @Override
    public Integer call() {
        if (iodepth < 1) {
            throw new ParameterException(spec.commandLine(), "--iodepth must be at least 1");
        }
        PrintWriter err = spec.commandLine().getErr();
        // One context of iodepth slots, driven by the library's completion thread.
        try (AioContext ctx = AioContext.builder().name("cat").queueDepth(iodepth).build();
             AioFile in = direct ? ctx.open(file, READ, AioOpenOption.DIRECT) : ctx.open(file, READ)) {
            // O_DIRECT: positions and lengths must be multiples of the file's offset alignment.
            int align = direct ? in.alignment().offsetAlignment() : 1;
            if (blockSize % align != 0) {
                throw new ParameterException(spec.commandLine(), "--block-size " + blockSize
                        + " is not a multiple of " + file + "'s O_DIRECT alignment " + align);
            }
            return copyOut(in, align) ? 0 : 1;
        } catch (IOException e) {
            // the exceptions of a file name it, first: no second copy of the path
            String message = ExampleSupport.describe(e);
            err.println("cat: " + (message.startsWith(file.toString()) ? message : file + ": " + message));
        }
        return 1;
    }

    /** Streams the file to {@link #stdout}; false when stdout refuses the bytes. */
    private boolean copyOut(AioFile in, int align) throws IOException {
        long size = in.size();
        long blocks = (size + blockSize - 1) / blockSize;
        int window = (int) Math.min(iodepth, blocks);
        // One buffer per read in flight. Direct buffers: the kernel reads into them without a copy,
        // and allocateAligned also gives the address alignment O_DIRECT requires.
        ByteBuffer[] bufs = new ByteBuffer[window];
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Integer>[] reads = new CompletableFuture[window];
        for (int i = 0; i < window; i++) {
            bufs[i] = direct ? in.allocateAligned(blockSize) : ByteBuffer.allocateDirect(blockSize);
            reads[i] = read(in, (long) i * blockSize, size, bufs[i], align);
        }
        byte[] chunk = new byte[blockSize];
        try (ProgressBar bar = progressBar(size)) {
            // Block k is in buffer k % window: wait for the blocks in file order, print each, then reuse its
            // buffer for block k + window, so that `window` reads are always in flight ahead of the output.
            for (long k = 0; k < blocks; k++) {
                int slot = (int) (k % window);
                int n = await(reads[slot]);
                long position = k * blockSize;
                ByteBuffer buf = bufs[slot].flip(); // the read advanced the position by n: [0, n) holds the bytes
                buf.get(chunk, 0, n);
                if (!write(chunk, n)) {
                    return false;
                }
                if (bar != null) {
                    bar.stepBy(n);
                }
                if (n < Math.min(blockSize, size - position)) {
                    break; // the file shrank while we read it: print what there was, like cat
                }
                if (k + window < blocks) {
                    reads[slot] = read(in, (k + window) * blockSize, size, bufs[slot], align);
                }
            }
        }
        return true;
    }

    /**
     * A bar on stderr, or null: with --no-progress, when stdout is a terminal (the bar would garble the text),
     * or when stderr is not one.
     */
    private ProgressBar progressBar(long size) {
        Console console = System.console();
        return ExampleSupport.bytesProgressBar(!noProgress && (console == null || !console.isTerminal()), "cat", size);
    }

    /** Writes (and flushes) {@code n} bytes to {@link #stdout}; false when it refuses them (a closed pipe, say). */
    private boolean write(byte[] bytes, int n) {
        try {
            stdout.write(bytes, 0, n);
            stdout.flush();
            return true;
        } catch (IOException e) {
            spec.commandLine().getErr().println("cat: write error: " + e.getMessage());
            return false;
        }
    }

    /**
     * Reads the block at {@code position}. With O_DIRECT the last, partial block is read with its length
     * rounded up to the alignment: the kernel stops at the end of the file and returns the bytes it read.
     */
    private CompletableFuture<Integer> read(AioFile in, long position, long size, ByteBuffer buf, int align) {
        long length = Math.min(blockSize, AlignedBuffers.alignUp(size - position, align));
        buf.clear().limit((int) length);
        return in.readAsync(position, buf);
    }


    public static void main(String[] args) {
        ExampleSupport.main(new Cat(), args);
    }
}

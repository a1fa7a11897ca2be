package io.linuxaio.examples;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** What several examples share: progress bars, and waiting for a future in blocking code. */
final class ExampleSupport {

    private ExampleSupport() {
    }

    /**
     * A progress bar on standard error, or null when {@code show} is false (callers skip a null bar).
     *
     * @param max the total, or -1 when it is not known
     * @param unit the unit's name, {@code " MiB"} say, and {@code unitSize} how many steps make one
     * @param speed whether the bar shows the speed too
     */
    static ProgressBar progressBar(boolean show, String task, long max, String unit, long unitSize, boolean speed) {
        if (!show) {
            return null;
        }
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(unit, unitSize)
                .setConsumer(new ConsoleProgressBarConsumer(System.err));
        if (speed) {
            b.showSpeed();
        }
        return b.build();
    }

    /** A progress bar of {@code bytes} bytes with its speed, counted in KiB below 16 MiB and in MiB above. */
    static ProgressBar bytesProgressBar(boolean show, String task, long bytes) {
        boolean small = bytes < 16 << 20;
        return progressBar(show, task, bytes, small ? " KiB" : " MiB", small ? 1 << 10 : 1 << 20, true);
    }

    /** The future's value, or the {@link IOException} it failed with. */
    static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }
}

package io.linuxaio.examples;

import io.linuxaio.abi.LibC;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What the examples share: how a command runs and reports errors, progress bars, and waiting for a future
 * in blocking code.
 */
final class ExampleSupport {

    private ExampleSupport() {
    }

    /** Runs {@code command} with {@code args} as its {@code main} does, and exits with its code unless it is 0. */
    static void main(Object command, String[] args) {
        int code = commandLine(command).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * The command line of an example. A usage error (an unknown option, a bad number) prints one line and
     * exits with 2; a user error (a missing, unreadable or misplaced file, a port in use: an
     * {@link IOException}, however wrapped) prints one line that names the file first and exits with 1.
     * Only a bug prints a stack trace.
     */
    static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        String name = cl.getCommandName();
        cl.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println(name + ": " + e.getMessage() + " (--help lists the options)");
            return CommandLine.ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            IOException io = userError(e);
            if (io == null) {
                throw e;
            }
            line.getErr().println(name + ": " + describe(io));
            return CommandLine.ExitCode.SOFTWARE;
        });
        return cl;
    }

    /** {@code dir}, checked: the directory where an example makes its scratch file. */
    static Path directory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir.toString());
        }
        return dir;
    }

    /** The {@link IOException} that {@code e} is or wraps, or null when it is something else (a bug). */
    static IOException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException io) {
                return io;
            }
            if (!(t instanceof CompletionException || t instanceof ExecutionException || t instanceof UncheckedIOException)) {
                return null;
            }
        }
        return null;
    }

    /** One line about a failed file operation, the file first: {@code /data/x: no such file or directory}. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() == null && fs.getFile() != null) {
            String what = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e.getClass().getSimpleName();
            return fs.getFile() + ": " + what;
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * {@return whether standard error is a terminal} A bar written elsewhere (a file, a pipe, a test's capture)
     * would fill it with carriage returns and block characters.
     */
    static boolean stderrIsTerminal() {
        try {
            return LibC.isatty(2);
        } catch (RuntimeException | LinkageError e) {
            return false; // no native access, say: no bar
        }
    }

    /**
     * A progress bar on standard error, or null when {@code show} is false or standard error is not a
     * terminal (callers skip a null bar).
     *
     * @param max the total, or -1 when it is not known
     * @param unit the unit's name, {@code " MiB"} say, and {@code unitSize} how many steps make one
     * @param speed whether the bar shows the speed too
     */
    static ProgressBar progressBar(boolean show, String task, long max, String unit, long unitSize, boolean speed) {
        if (!show || !stderrIsTerminal()) {
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

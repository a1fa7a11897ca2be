package io.linuxaio.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Another process (python3) that holds an exclusive POSIX record lock ({@code fcntl.lockf}, i.e.
 * {@code F_SETLKW}) on the whole of a file until {@link #close()}: what a lock of this JVM waits for.
 * Tests that need it are skipped, with the reason, where python3 is missing. Any thread.
 */
public final class LockHolder implements AutoCloseable {

    private static final String SCRIPT = String.join("\n",
            "import fcntl, sys",
            "f = open(sys.argv[1], 'r+')",
            "fcntl.lockf(f, fcntl.LOCK_EX)",
            "print('locked', flush=True)",
            "sys.stdin.read()");

    private final Process process;

    private LockHolder(Process process) {
        this.process = process;
    }

    /** Starts the process and returns once it holds the lock. */
    public static LockHolder exclusive(Path file) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", SCRIPT, file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "python3 is needed to hold a lock from another process: " + e.getMessage());
            throw e;
        }
        LockHolder holder = new LockHolder(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"locked".equals(line)) {
            holder.close();
            throw new IOException("the lock holder did not take the lock of " + file + ": " + line);
        }
        return holder;
    }

    /** Ends the process (its lock goes with it) and closes the pipes to it. */
    @Override
    public void close() throws IOException {
        process.getOutputStream().close(); // end of stdin: the script exits
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            process.getInputStream().close();
            process.getErrorStream().close();
        }
    }
}

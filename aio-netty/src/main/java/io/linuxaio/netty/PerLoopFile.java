package io.linuxaio.netty;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioFile;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;

import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One file opened once per event loop of an {@link EpollAio}'s group, so that a channel's requests are made
 * on its own loop's context and complete on its own loop: a file opened once for the whole group completes
 * on the loop of the context it was opened with, whichever channel asked. Each loop's descriptor is opened
 * on the blocking pool the first time that loop asks for it (the loop never waits for an open). Any thread
 * may call every method.
 *
 * <pre>{@code
 * PerLoopFile data = aio.perLoop(path);                       // once, at start-up
 * // in a handler, on the channel's loop:
 * data.forLoop(ctx.channel().eventLoop())
 *     .thenCompose(file -> AioByteBufs.readAsync(file, position, dst, 4096))
 *     .whenComplete((n, err) -> ...);                           // runs on this channel's loop
 * }</pre>
 */
public final class PerLoopFile implements AutoCloseable {

    private final EpollAio aio;
    private final Path path;
    private final OpenOption[] options;
    private final Map<EventExecutor, CompletableFuture<AioFile>> files = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PerLoopFile(EpollAio aio, Path path, OpenOption[] options) {
        this.aio = aio;
        this.path = Objects.requireNonNull(path, "path");
        this.options = options.clone();
    }

    /**
     * The path the files are opened with.
     *
     * @return the path given to {@link EpollAio#perLoop}
     */
    public Path path() {
        return path;
    }

    /**
     * The file as opened on {@code loop}'s context (a loop of the group): complete at once after the first
     * call from that loop, else when the blocking pool has opened it, on that loop; failed with the error
     * the open met, or with {@link AioClosedException} once this is closed.
     *
     * @param loop a loop of the group, whose thread completes the file's requests
     * @return the file opened on {@code loop}'s context
     * @throws IllegalArgumentException when {@code loop} is not a loop of the group
     * @throws IllegalStateException when the {@link EpollAio} is closed
     */
    public CompletableFuture<AioFile> forLoop(EventLoop loop) {
        if (closed) {
            return CompletableFuture.failedFuture(new AioClosedException(this + " is closed"));
        }
        CompletableFuture<AioFile> file = files.computeIfAbsent(loop, l -> aio.context(loop).openAsync(path, options));
        if (closed) { // raced close(): it may not have seen this one
            file.thenAccept(AioFile::close);
        }
        return file;
    }

    /** Closes every loop's file (each once its requests in flight are done); later calls fail. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<AioFile> f : files.values()) {
            f.thenAccept(AioFile::close);
        }
    }

    @Override
    public String toString() {
        return "PerLoopFile[" + path + "]";
    }
}

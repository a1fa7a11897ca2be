package io.linuxaio.netty.http;

import io.linuxaio.AioClosedException;
import io.linuxaio.AioContext;
import io.linuxaio.AioFile;
import io.linuxaio.NotRegularFileException;
import io.linuxaio.abi.Errno;
import io.linuxaio.abi.ErrnoException;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Finds and opens the file a request names, on the context's blocking pool (resolving links and opening
 * touch the disk): the file itself, a directory's index file, or a redirect to a directory's URL with its
 * slash; a precompressed sibling ({@code .br}, {@code .gz}) when the client accepts it. A file is served only
 * if, once open, it is a regular file whose real path (read through {@code /proc/self/fd}, so that a link
 * swapped in meanwhile cannot lead out) is under the root. Immutable: any thread; {@link #resolve} blocks.
 */
final class FileResolver {

    private static final Logger LOG = LoggerFactory.getLogger(FileResolver.class);
    // the same numbers on every Linux architecture
    private static final int ENFILE = 23;
    private static final int ENAMETOOLONG = 36;
    private static final int ELOOP = 40;
    /** Set while opens fail for want of descriptors, so that it is logged once per shortage. */
    private static final AtomicBoolean OUT_OF_DESCRIPTORS = new AtomicBoolean();

    /** What to answer: a file to send, a directory listing, or a status (with a {@code Location} for 301). */
    record Resolution(HttpResponseStatus status, AioFile file, String encoding, boolean vary, String location,
                      byte[] listing, String listingType) {
        Resolution(HttpResponseStatus status, AioFile file, String encoding, boolean vary, String location) {
            this(status, file, encoding, vary, location, null, null);
        }

        static Resolution of(HttpResponseStatus status) {
            return new Resolution(status, null, null, false, null);
        }
    }

    private final Path root;
    private final Path realRoot;
    private final String index;
    private final boolean precompressed;
    private final AioHttpFileHandler.Listing listing;
    private final boolean dotfiles;

    FileResolver(Path root, Path realRoot, String index, boolean precompressed, AioHttpFileHandler.Listing listing,
                 boolean dotfiles) {
        this.root = root;
        this.realRoot = realRoot;
        this.index = index;
        this.precompressed = precompressed;
        this.listing = listing;
        this.dotfiles = dotfiles;
    }

    /** On the blocking pool: what answers {@code target}, given the encodings the client accepts. */
    Resolution resolve(AioContext aio, RequestTarget.Target target, AcceptEncoding accepted) {
        Path p = target.path().length() == 1 ? root : root.resolve(target.path().substring(1));
        try {
            if (target.directory()) {
                return directory(aio, p, target);
            }
            Resolution sibling = precompressed ? precompressed(aio, p, accepted) : null;
            if (sibling != null && sibling.file() != null) {
                return sibling;
            }
            AioFile file = openBeneathRoot(aio, p);
            if (file == null) {
                return Resolution.of(HttpResponseStatus.FORBIDDEN);
            }
            return new Resolution(HttpResponseStatus.OK, file, null, sibling != null, null);
        } catch (NotRegularFileException e) {
            if (!"directory".equals(e.fileType())) {
                return Resolution.of(HttpResponseStatus.NOT_FOUND); // a FIFO, socket or device is never served
            }
            if (!insideRoot(p)) {
                return Resolution.of(HttpResponseStatus.FORBIDDEN);
            }
            String location = RequestTarget.encode(target.path() + "/") + (target.query() == null ? "" : "?" + target.query());
            return new Resolution(HttpResponseStatus.MOVED_PERMANENTLY, null, null, false, location);
        } catch (IOException | RuntimeException e) {
            return Resolution.of(statusOf(e, p));
        }
    }

    private Resolution directory(AioContext aio, Path dir, RequestTarget.Target target) throws IOException {
        if (index != null) {
            try {
                AioFile file = openBeneathRoot(aio, dir.resolve(index));
                return file == null ? Resolution.of(HttpResponseStatus.FORBIDDEN)
                        : new Resolution(HttpResponseStatus.OK, file, null, false, null);
            } catch (NoSuchFileException | NotRegularFileException e) {
                // no index file: the directory itself decides
            }
        }
        if (!Files.isDirectory(dir)) {
            return Resolution.of(HttpResponseStatus.NOT_FOUND); // "/a.txt/" names no directory
        }
        if (listing == AioHttpFileHandler.Listing.OFF || !insideRoot(dir)) {
            return Resolution.of(HttpResponseStatus.FORBIDDEN); // a directory without an index is not listed
        }
        boolean json = listing == AioHttpFileHandler.Listing.JSON;
        return new Resolution(HttpResponseStatus.OK, null, null, false, null,
                DirectoryListing.render(dir, target.path(), json, dotfiles), json ? "application/json" : "text/html; charset=utf-8");
    }

    /** The accepted sibling, opened; or a resolution without file when only refused siblings exist; or null. */
    private Resolution precompressed(AioContext aio, Path p, AcceptEncoding accepted) throws IOException {
        boolean exists = false;
        for (String encoding : AcceptEncoding.PRECOMPRESSED) {
            Path sibling = p.resolveSibling(p.getFileName() + AcceptEncoding.suffix(encoding));
            if (!accepted.accepts(encoding)) {
                exists |= Files.isRegularFile(sibling);
                continue;
            }
            try {
                AioFile file = openBeneathRoot(aio, sibling);
                if (file != null) {
                    return new Resolution(HttpResponseStatus.OK, file, encoding, true, null);
                }
            } catch (NoSuchFileException | NotRegularFileException e) {
                // not there: the next encoding, or the file itself
            }
        }
        return exists ? Resolution.of(HttpResponseStatus.OK) : null;
    }

    /** The regular file at {@code path}, open, or null when it lies outside the root. */
    private AioFile openBeneathRoot(AioContext aio, Path path) throws IOException {
        AioFile file = aio.open(path);
        try {
            Path fd = Path.of("/proc/self/fd/" + file.fd());
            if (!Files.readSymbolicLink(fd).startsWith(realRoot)) {
                file.close();
                return null;
            }
            if (!Files.readAttributes(fd, BasicFileAttributes.class).isRegularFile()) {
                throw new NotRegularFileException(path.toString(), "block device"); // the library opens those
            }
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
        OUT_OF_DESCRIPTORS.set(false);
        return file;
    }

    private boolean insideRoot(Path p) {
        try {
            return p.toRealPath().startsWith(realRoot);
        } catch (IOException e) {
            return false;
        }
    }

    /** The status of a failure to open {@code p}: every 500 (and the first shortage of descriptors) is logged. */
    static HttpResponseStatus statusOf(Throwable err, Path p) {
        if (err instanceof NoSuchFileException || err instanceof NotRegularFileException) {
            return HttpResponseStatus.NOT_FOUND;
        }
        if (err instanceof AccessDeniedException) {
            return HttpResponseStatus.FORBIDDEN;
        }
        if (err instanceof AioClosedException) {
            return HttpResponseStatus.SERVICE_UNAVAILABLE; // the loop's context is closing
        }
        if (err instanceof ErrnoException e) {
            switch (e.errno()) {
                case Errno.ENOTDIR, ENAMETOOLONG -> {
                    return HttpResponseStatus.NOT_FOUND; // "/a.txt/x", or a name longer than the file system takes
                }
                case ELOOP -> {
                    return HttpResponseStatus.FORBIDDEN; // a loop of symbolic links, as nginx answers it
                }
                case Errno.EMFILE, ENFILE -> {
                    if (OUT_OF_DESCRIPTORS.compareAndSet(false, true)) {
                        LOG.error("cannot open files: {}; answering 503 until descriptors are free again", e.getMessage());
                    }
                    return HttpResponseStatus.SERVICE_UNAVAILABLE;
                }
                default -> {
                }
            }
        }
        LOG.warn("500 Internal Server Error for {}", p, err);
        return HttpResponseStatus.INTERNAL_SERVER_ERROR;
    }
}

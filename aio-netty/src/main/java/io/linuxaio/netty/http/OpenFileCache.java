package io.linuxaio.netty.http;

import io.linuxaio.AioContext;
import io.linuxaio.AioFile;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open files by request path, reused for a short time (as nginx's {@code open_file_cache}), so that a
 * popular file is served without a trip to the blocking pool for resolving and opening it. One cache per
 * {@link AioContext}, used only on that context's owner thread (the event loop): no locks.
 *
 * <p>An entry is trusted for {@link #TTL_NANOS}; after that the path is resolved and opened again (a file
 * replaced on disk is seen within that time). A file is closed when it has been evicted and the last
 * response using it is done.
 */
final class OpenFileCache {

    /** How long an open file is reused before its path is resolved again: one second. */
    static final long TTL_NANOS = 1_000_000_000L;
    private static final int MAX_ENTRIES = 1024;
    private static final ConcurrentHashMap<AioContext, OpenFileCache> CACHES = new ConcurrentHashMap<>();

    /** The cache of {@code context}; closed (its files with it) when the context closes. */
    static OpenFileCache of(AioContext context) {
        OpenFileCache cache = CACHES.get(context);
        if (cache == null) {
            cache = CACHES.computeIfAbsent(context, c -> new OpenFileCache());
            OpenFileCache created = cache;
            context.closeFuture().whenComplete((v, t) -> {
                CACHES.remove(context, created);
                created.clear();
            });
        }
        return cache;
    }

    /** A file in use by one response. */
    static final class Lease {
        final AioFile file;
        /** The content coding of a precompressed sibling, or null. */
        final String encoding;
        /** Whether the response varies with {@code Accept-Encoding} (the file has precompressed siblings). */
        final boolean vary;
        final Cached entry;

        Lease(FileResolver.Resolution r, Cached entry) {
            this.file = r.file();
            this.encoding = r.encoding();
            this.vary = r.vary();
            this.entry = entry;
        }

        /** The response is done with the file. */
        void release() {
            if (entry == null) {
                file.close();
            } else if (--entry.users == 0 && entry.evicted) {
                file.close();
            }
        }
    }

    static final class Cached {
        final FileResolver.Resolution resolution;
        final AioFile file;
        final long expires;
        int users;
        boolean evicted;

        Cached(FileResolver.Resolution resolution, long expires) {
            this.resolution = resolution;
            this.file = resolution.file();
            this.expires = expires;
        }
    }

    private final LinkedHashMap<String, Cached> entries = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            if (size() > MAX_ENTRIES) {
                evict(eldest.getValue());
                return true;
            }
            return false;
        }
    };

    private boolean sweepScheduled;

    /**
     * Closes the files of expired entries once they are unused, and again every TTL while entries remain,
     * on {@code loop} (the context's owner), so that an idle server holds no descriptor for long.
     */
    void sweepLater(io.netty.util.concurrent.EventExecutor loop) {
        if (sweepScheduled || entries.isEmpty()) {
            return;
        }
        sweepScheduled = true;
        loop.schedule(() -> {
            sweepScheduled = false;
            long now = System.nanoTime();
            for (Iterator<Cached> it = entries.values().iterator(); it.hasNext(); ) {
                Cached e = it.next();
                if (now - e.expires >= 0) {
                    it.remove();
                    evict(e);
                }
            }
            sweepLater(loop);
        }, TTL_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A lease on the cached file of {@code key}, or null when there is none fresh. */
    Lease get(String key, long now) {
        Cached e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (now - e.expires >= 0 || !e.file.isOpen()) {
            entries.remove(key);
            evict(e);
            return null;
        }
        e.users++;
        return new Lease(e.resolution, e);
    }

    /** Caches the file of {@code r} for {@code key} and returns a lease on it. */
    Lease put(String key, FileResolver.Resolution r, long now) {
        Cached e = new Cached(r, now + TTL_NANOS);
        Cached old = entries.put(key, e);
        if (old != null) {
            evict(old);
        }
        e.users++;
        return new Lease(r, e);
    }

    private static void evict(Cached e) {
        e.evicted = true;
        if (e.users == 0) {
            e.file.close();
        }
    }

    private void clear() {
        for (Iterator<Cached> it = entries.values().iterator(); it.hasNext(); ) {
            Cached e = it.next();
            it.remove();
            e.evicted = true;
            e.file.close(); // the context is gone: so is every request on it
        }
    }
}

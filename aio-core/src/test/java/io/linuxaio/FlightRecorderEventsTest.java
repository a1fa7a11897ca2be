package io.linuxaio;

import io.linuxaio.abi.AioAbi;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.Pipe;
import io.linuxaio.testing.PageCache;
import io.linuxaio.testing.TestFiles;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.linuxaio.testing.Futures.await;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JFR events of requests, recorded for real and read back: each way a read goes (inline from the page
 * cache, through io_submit, on the fallback pool), a write, an fsync and a poll, with their fields; and the
 * default threshold, which keeps fast requests out of a recording.
 */
@ExtendWith(LeakCheck.class)
class FlightRecorderEventsTest {

    private static final String[] NAMES = {"io.linuxaio.Read", "io.linuxaio.Write", "io.linuxaio.Sync", "io.linuxaio.Poll"};

    @TempDir
    Path dir;

    private List<RecordedEvent> recorded(Recording recording) throws Exception {
        Path dump = dir.resolve("rec.jfr");
        recording.dump(dump);
        return RecordingFile.readAllEvents(dump).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.linuxaio."))
                .toList();
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name, String way, long position) {
        List<RecordedEvent> found = events.stream()
                .filter(e -> e.getEventType().getName().equals(name) && way.equals(e.getString("way"))
                        && (position < 0 || e.getLong("position") == position))
                .toList();
        assertEquals(1, found.size(), name + " " + way + " at " + position + " in " + events);
        RecordedEvent e = found.getFirst();
        assertFalse(e.getDuration().isNegative(), e.toString());
        return e;
    }

    @Test
    void everyWayOfARequestIsRecordedWithItsFields() throws Exception {
        Path p = TestFiles.file(dir, "f", TestFiles.random(1 << 20, 3));
        Files.readAllBytes(p);
        try (Recording recording = new Recording()) {
            for (String name : NAMES) {
                recording.enable(name).withThreshold(Duration.ZERO);
            }
            recording.start();
            try (AioContext inline = AioContext.builder().inlineCachedReads(true).build();
                 AioContext ctx = AioContext.builder().inlineCachedReads(false).build();
                 AioFile cachedInline = inline.open(p, READ);
                 AioFile f = ctx.open(p, READ, WRITE);
                 Pipe pipe = Pipe.open()) {
                assertEquals(4096, await(cachedInline.readAsync(0, ByteBuffer.allocateDirect(4096))));
                assertEquals(8192, await(f.readAsync(4096, ByteBuffer.allocateDirect(8192))));
                await(f.fdatasync());
                PageCache.evict(f.fd(), 0, p.toString()); // checked: one fadvise alone once left a page cached
                assertEquals(4096, await(f.readAsync(65536, ByteBuffer.allocateDirect(4096))));
                assertEquals(100, await(f.writeAsync(1 << 20, ByteBuffer.allocateDirect(100))));
                await(f.fsync());
                pipe.write((byte) 1);
                assertTrue((await(ctx.poll(pipe.readEnd(), AioAbi.POLLIN)) & AioAbi.POLLIN) != 0);
            }
            recording.stop();
            List<RecordedEvent> events = recorded(recording);
            String path = p.toString();

            RecordedEvent read = only(events, "io.linuxaio.Read", "inline", 0);
            assertEquals(path, read.getString("path"));
            assertEquals(4096, read.getLong("bytesRequested"));
            assertEquals(4096, read.getLong("bytesTransferred"));
            assertEquals(0, read.getInt("errno"));

            read = only(events, "io.linuxaio.Read", "kernel", 4096);
            assertEquals(path, read.getString("path"));
            assertEquals(8192, read.getLong("bytesRequested"));
            assertEquals(8192, read.getLong("bytesTransferred"));

            // evicted: RWF_NOWAIT answers EAGAIN on a disk-backed filesystem, and the pool reads it
            if (!"tmpfs".equals(Files.getFileStore(dir).type())) {
                read = only(events, "io.linuxaio.Read", "pool", 65536);
                assertEquals(4096, read.getLong("bytesTransferred"));
            }

            RecordedEvent write = events.stream().filter(e -> e.getEventType().getName().equals("io.linuxaio.Write")).findFirst().orElseThrow();
            assertEquals(path, write.getString("path"));
            assertEquals(1 << 20, write.getLong("position"));
            assertEquals(100, write.getLong("bytesRequested"));
            assertEquals(100, write.getLong("bytesTransferred"));
            assertFalse(write.getDuration().isNegative());
            // ext4 refuses RWF_NOWAIT for buffered writes (the pool writes them); other filesystems may take them
            assertTrue(List.of("kernel", "pool").contains(write.getString("way")), write.toString());

            List<RecordedEvent> syncs = events.stream().filter(e -> e.getEventType().getName().equals("io.linuxaio.Sync")).toList();
            assertEquals(2, syncs.size(), syncs.toString());
            assertTrue(syncs.get(0).getBoolean("dataOnly"));
            assertFalse(syncs.get(1).getBoolean("dataOnly"));
            assertEquals(path, syncs.get(1).getString("path"));
            assertEquals("kernel", syncs.get(1).getString("way"));

            RecordedEvent poll = only(events, "io.linuxaio.Poll", "kernel", -1);
            assertNull(poll.getString("path"));
            assertEquals(AioAbi.POLLIN, poll.getInt("events"));
            assertTrue((poll.getInt("revents") & AioAbi.POLLIN) != 0);
        }
    }

    @Test
    void withTheDefaultThresholdAFastReadIsNotRecorded() throws Exception {
        Path p = TestFiles.file(dir, "f", TestFiles.random(65536, 4));
        Files.readAllBytes(p);
        try (Recording recording = new Recording()) {
            for (String name : NAMES) {
                recording.enable(name); // the events' own threshold: 20 ms
            }
            recording.start();
            try (AioContext ctx = AioContext.builder().inlineCachedReads(true).build(); AioFile f = ctx.open(p, READ)) {
                assertEquals(4096, await(f.readAsync(0, ByteBuffer.allocateDirect(4096))));
            }
            recording.stop();
            assertEquals(List.of(), recorded(recording));
        }
    }
}

package io.linuxaio;

import io.linuxaio.abi.AioLimits;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static io.linuxaio.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A group of contexts: one owner thread each, files and callers spread over them, closed together. */
@ExtendWith(LeakCheck.class)
class AioContextGroupTest {

    @TempDir
    Path dir;

    @Test
    void filesSpreadOverTheOwnersAndEachCompletesOnItsOwn() throws Exception {
        Path p = TestFiles.file(dir, "g", TestFiles.random(1 << 16, 9));
        try (AioContextGroup group = AioContextGroup.open(3, i -> AioContext.builder().queueDepth(8).inlineCachedReads(false))) {
            assertEquals(3, group.size());
            List<AioFile> files = new ArrayList<>();
            Set<AioContext> used = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                AioFile f = group.open(p);
                files.add(f);
                used.add(f.context());
            }
            assertEquals(3, used.size(), "six files did not spread over three contexts");
            try {
                Set<String> owners = new HashSet<>();
                for (AioFile f : files) {
                    // made on the file's owner, so that the dependent is attached before the completion
                    CompletableFuture<String> on = new CompletableFuture<>();
                    f.context().ownerExecutor().execute(() -> f.readAsync(0, ByteBuffer.allocateDirect(4096))
                            .whenComplete((n, t) -> on.complete(Thread.currentThread().getName())));
                    owners.add(await(on));
                }
                assertEquals(3, owners.size(), "the contexts did not run on three owner threads: " + owners);
                assertEquals(6, group.metrics().completed());
            } finally {
                for (AioFile f : files) {
                    f.close();
                }
            }
        }
    }

    @Test
    void aThreadGetsTheSameContextEveryTime() throws Exception {
        try (AioContextGroup group = AioContextGroup.open(2, i -> AioContext.builder().queueDepth(4))) {
            AioContext mine = group.forCurrentThread();
            assertSame(mine, group.forCurrentThread());
            assertTrue(group.contexts().contains(mine));
            assertTrue(group.contexts().get(0).name().startsWith("linux-aio-0"));
            assertNotSame(group.contexts().get(0), group.contexts().get(1));
        }
    }

    @Test
    void closeClosesEveryContextAndAFailedOpenLeavesNone() throws Exception {
        long before = AioLimits.aioNr();
        AioContextGroup group = AioContextGroup.open(2, i -> AioContext.builder().queueDepth(16));
        group.close();
        for (AioContext c : group.contexts()) {
            assertFalse(c.isOpen());
            assertTrue(c.closeFuture().isDone());
        }
        // the second context cannot be made: the first is closed again
        assertThrows(IOException.class, () -> AioContextGroup.open(2, i -> AioContext.builder().queueDepth(i == 0 ? 16 : 1 << 20)));
        assertEquals(before, AioLimits.aioNr());
        assertThrows(IllegalArgumentException.class, () -> AioContextGroup.open(0, i -> AioContext.builder()));
    }
}

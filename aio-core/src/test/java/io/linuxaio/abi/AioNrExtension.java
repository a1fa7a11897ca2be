package io.linuxaio.abi;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fails a test that leaves an AIO context behind: {@code /proc/sys/fs/aio-nr} (the events held by
 * every context of the system) must be the same after the test as before it.
 *
 * <p>{@code aio-nr} is system-wide: run these tests alone on the machine (no other AIO user
 * setting up or destroying contexts at the same time), or this check reports their changes too.
 */
public final class AioNrExtension implements BeforeEachCallback, AfterEachCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(AioNrExtension.class);
    private static final String KEY = "aio-nr";

    @Override
    public void beforeEach(ExtensionContext context) {
        long before = AioLimits.aioNr();
        assertTrue(before >= 0, "cannot read " + AioLimits.AIO_NR);
        context.getStore(NS).put(KEY, before);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        long before = context.getStore(NS).get(KEY, Long.class);
        long now = AioLimits.aioNr();
        assertEquals(before, now, "test leaked an AIO context: aio-nr was " + before + ", now " + now);
    }
}

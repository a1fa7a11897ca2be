package io.linuxaio.engine;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * An fsync or fdatasync of a file, from the request to its completion. Made on the requesting thread,
 * committed on the owner thread (see {@link RequestEvent}).
 */
@Name("io.linuxaio.Sync")
@Label("AIO File Sync")
@Description("A linux-aio fsync or fdatasync from its request to its completion; committed on the "
        + "context's owner thread, so no stack trace is recorded")
final class SyncEvent extends RequestEvent {

    /** The instance whose {@code isEnabled()} the hot path asks: one check, no allocation while disabled. */
    static final SyncEvent PROBE = new SyncEvent();

    @Label("Data Only")
    @Description("fdatasync rather than fsync")
    boolean dataOnly;
}

package io.linuxaio.engine;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A write to a file, from the request to its completion. Made on the requesting thread, committed on the
 * owner thread (see {@link RequestEvent}); its fields are {@link TransferEvent}'s.
 */
@Name("io.linuxaio.Write")
@Label("AIO File Write")
@Description("A linux-aio write from its request to its completion; committed on the context's owner "
        + "thread, so no stack trace is recorded")
final class WriteEvent extends TransferEvent {

    /** The instance whose {@code isEnabled()} the hot path asks: one check, no allocation while disabled. */
    static final WriteEvent PROBE = new WriteEvent();
}

package io.linuxaio.engine;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A read of a file, from the request to its completion. Made on the requesting thread, committed on the
 * completing one (see {@link RequestEvent}); its fields are {@link TransferEvent}'s.
 */
@Name("io.linuxaio.Read")
@Label("AIO File Read")
@Description("A linux-aio read from its request to its completion; committed on the completing thread "
        + "(the context's owner, or the caller for an inline read), so no stack trace is recorded")
final class ReadEvent extends TransferEvent {

    /** The instance whose {@code isEnabled()} the hot path asks: one check, no allocation while disabled. */
    static final ReadEvent PROBE = new ReadEvent();
}

package io.linuxaio.engine;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A poll of a descriptor, from the request to its completion (readiness, cancellation or close). Made on
 * the requesting thread, committed on the owner thread (see {@link RequestEvent}); its path is null.
 */
@Name("io.linuxaio.Poll")
@Label("AIO Poll")
@Description("A linux-aio poll of a descriptor from its request to its completion; committed on the "
        + "context's owner thread, so no stack trace is recorded")
final class PollEvent extends RequestEvent {

    /** The instance whose {@code isEnabled()} the hot path asks: one check, no allocation while disabled. */
    static final PollEvent PROBE = new PollEvent();

    @Label("File Descriptor")
    int fd;

    @Label("Events")
    @Description("The poll events asked for")
    int events;

    @Label("Ready Events")
    @Description("The events the kernel answered")
    int revents;
}

package io.linuxaio.engine;

import jdk.jfr.Category;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * What the JFR events of a request share: the file, and the way the request went. Made and begun on the
 * thread that made the request, only while its event type is enabled; ended and committed on the thread
 * that completed it (the owner, or the caller for an inline read), which is why no stack trace is taken.
 * Enabled with a 20 ms threshold by default, as the JDK's {@code jdk.FileRead}.
 */
@Category("linux-aio")
@Enabled(true)
@Threshold("20 ms")
@StackTrace(false)
abstract class RequestEvent extends Event {

    /** Through {@code io_submit}. */
    static final String KERNEL = "kernel";
    /** On the blocking fallback pool ({@code RWF_NOWAIT} refused, or a rest after a short count). */
    static final String POOL = "pool";
    /** On the caller's thread, from the page cache ({@link InlineReads}). */
    static final String INLINE = "inline";

    @Label("Path")
    String path;

    @Label("Way")
    String way;

    @Label("Error Number")
    int errno;
}

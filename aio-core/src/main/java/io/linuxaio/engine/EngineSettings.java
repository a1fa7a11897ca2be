package io.linuxaio.engine;

import java.util.concurrent.ThreadFactory;

/**
 * The settings of one context, as its builder validated them. Immutable; any thread.
 *
 * @param name the context's name, in thread names and messages
 * @param queueDepth the most requests in flight (io_setup's nr_events)
 * @param maxQueued the most requests waiting for a slot before new ones are refused
 * @param userSpaceReaping whether completions are read from the mmapped ring when it allows it
 * @param nonBlockingSubmit whether requests that could block io_submit get RWF_NOWAIT and the pool
 * @param maxSubmitBatch the most iocbs per io_submit
 * @param inlineCachedReads whether buffered reads are tried on the calling thread first ({@link InlineReads})
 * @param threadFactory what makes the completion thread, or null for a daemon thread named after the context
 */
public record EngineSettings(String name, int queueDepth, int maxQueued, boolean userSpaceReaping,
                             boolean nonBlockingSubmit, int maxSubmitBatch, boolean inlineCachedReads,
                             ThreadFactory threadFactory) {
}

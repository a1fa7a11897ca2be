package io.linuxaio;

import java.nio.channels.AsynchronousCloseException;

/**
 * A request accepted earlier could not finish normally because its context was torn down while it was
 * pending: a poll cancelled by {@link AioContext#close()}, or any request whose owner thread (an event
 * loop) shut down. An {@link AsynchronousCloseException}, as the JDK's asynchronous channels use.
 */
public final class AioAbandonedException extends AsynchronousCloseException {

    private static final long serialVersionUID = 1L;

    /** The message. */
    private final String message;

    /**
     * An exception with its message.
     *
     * @param message what was abandoned, and why
     */
    public AioAbandonedException(String message) {
        this.message = message;
    }

    @Override
    public String getMessage() {
        return message;
    }
}

package io.linuxaio;

import java.nio.channels.ClosedChannelException;

/**
 * A request was refused because its {@link AioFile} or {@link AioContext} is closed. A
 * {@link ClosedChannelException}, as the JDK's channels throw, with a message that says what was closed.
 */
public final class AioClosedException extends ClosedChannelException {

    private static final long serialVersionUID = 1L;

    /** The message. */
    private final String message;

    /**
     * An exception with its message.
     *
     * @param message what was closed, e.g. {@code "/data/log is closed"}
     */
    public AioClosedException(String message) {
        this.message = message;
    }

    @Override
    public String getMessage() {
        return message;
    }
}

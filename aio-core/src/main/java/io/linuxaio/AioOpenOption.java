package io.linuxaio;

import java.nio.file.OpenOption;

/**
 * The library's own options for {@link AioContext#open}, beside {@link java.nio.file.StandardOpenOption}.
 */
public enum AioOpenOption implements OpenOption {
    /**
     * {@code O_DIRECT}: bypass the page cache. Buffer address, position and length of every read and
     * write must be multiples of the file's {@link AioFile#alignment()}; a request that is not is refused
     * before it reaches the kernel. Use {@link AlignedBuffers} or {@link AioFile#allocateAligned(int)}.
     */
    DIRECT,
    /** {@code O_DSYNC}: every write is durable (data, and the metadata to read it) when it completes. */
    DSYNC,
    /** {@code O_SYNC}: every write is durable, data and metadata, when it completes. */
    SYNC,
    /** {@code O_NOATIME}: reads do not update the access time (only for the file's owner or root). */
    NOATIME
}

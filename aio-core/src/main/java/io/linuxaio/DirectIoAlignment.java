package io.linuxaio;

/**
 * What {@code O_DIRECT} requires of a file's reads and writes, as the kernel reports it.
 *
 * @param memoryAlignment the alignment of buffer addresses, in bytes
 * @param offsetAlignment the alignment of file positions and lengths, in bytes
 * @param source where the values come from: {@code "statx(STATX_DIOALIGN)"}, or the logical block
 *               size of the device ({@code "BLKSSZGET"}, {@code "sysfs logical_block_size"})
 */
public record DirectIoAlignment(int memoryAlignment, int offsetAlignment, String source) {

    /** Whether {@code address} is a multiple of {@link #memoryAlignment()}. */
    public boolean isAddressAligned(long address) {
        return address % memoryAlignment == 0;
    }

    /** Whether {@code value} (a position or a length) is a multiple of {@link #offsetAlignment()}. */
    public boolean isOffsetAligned(long value) {
        return value % offsetAlignment == 0;
    }
}

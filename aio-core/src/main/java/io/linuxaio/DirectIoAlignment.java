package io.linuxaio;

/**
 * What {@code O_DIRECT} requires of a file's reads and writes, as the kernel reports it.
 *
 * @param memoryAlignment the alignment of buffer addresses, in bytes
 * @param offsetAlignment the alignment of file positions and lengths, in bytes
 * @param source where the values come from: {@code "statx(STATX_DIOALIGN)"}, or the logical block
 *               size of the device ({@code "BLKSSZGET"}, {@code "sysfs logical_block_size"})
 * @param blockSize the filesystem's block size ({@code stx_blksize}): {@code O_DIRECT} writes whose position
 *                  and length are multiples of it stay in the kernel; smaller aligned writes are valid but
 *                  ext4 serialises them (they take the inode lock exclusively, so {@code RWF_NOWAIT} answers
 *                  EAGAIN and they run on the blocking pool)
 */
public record DirectIoAlignment(int memoryAlignment, int offsetAlignment, String source, int blockSize) {

    /**
     * {@return whether {@code address} is a multiple of {@link #memoryAlignment()}}
     *
     * @param address a buffer's address
     */
    public boolean isAddressAligned(long address) {
        return address % memoryAlignment == 0;
    }

    /**
     * {@return whether {@code value} is a multiple of {@link #offsetAlignment()}}
     *
     * @param value a position or a length
     */
    public boolean isOffsetAligned(long value) {
        return value % offsetAlignment == 0;
    }
}

package io.linuxaio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code struct statx} of {@code <linux/stat.h>} (256 bytes), for {@code statx(2)}: the file size and
 * the direct-I/O alignment ({@code STATX_DIOALIGN}, Linux 6.1+).
 *
 * <pre>{@code
 * struct statx {
 *     __u32 stx_mask; __u32 stx_blksize; __u64 stx_attributes;
 *     __u32 stx_nlink; __u32 stx_uid; __u32 stx_gid; __u16 stx_mode; __u16 __spare0[1];
 *     __u64 stx_ino; __u64 stx_size; __u64 stx_blocks; __u64 stx_attributes_mask;
 *     struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;   // 16 bytes each
 *     __u32 stx_rdev_major; __u32 stx_rdev_minor; __u32 stx_dev_major; __u32 stx_dev_minor;
 *     __u64 stx_mnt_id;
 *     __u32 stx_dio_mem_align; __u32 stx_dio_offset_align;
 *     __u64 stx_subvol;
 *     __u32 stx_atomic_write_unit_min; __u32 stx_atomic_write_unit_max;
 *     __u32 stx_atomic_write_segments_max; __u32 stx_dio_read_offset_align;
 *     __u32 stx_atomic_write_unit_max_opt; __u32 __spare2[1];
 *     __u64 __spare3[8];
 * };
 * }</pre>
 */
public final class Statx {

    private Statx() {
    }

    private static MemoryLayout timestamp(String name) {
        return MemoryLayout.structLayout(
                ValueLayout.JAVA_LONG.withName("tv_sec"),
                ValueLayout.JAVA_INT.withName("tv_nsec"),
                ValueLayout.JAVA_INT.withName("__reserved")).withName(name);
    }

    /** The layout of {@code struct statx}, with named fields. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("stx_mask"),
            ValueLayout.JAVA_INT.withName("stx_blksize"),
            ValueLayout.JAVA_LONG.withName("stx_attributes"),
            ValueLayout.JAVA_INT.withName("stx_nlink"),
            ValueLayout.JAVA_INT.withName("stx_uid"),
            ValueLayout.JAVA_INT.withName("stx_gid"),
            ValueLayout.JAVA_SHORT.withName("stx_mode"),
            MemoryLayout.paddingLayout(2),
            ValueLayout.JAVA_LONG.withName("stx_ino"),
            ValueLayout.JAVA_LONG.withName("stx_size"),
            ValueLayout.JAVA_LONG.withName("stx_blocks"),
            ValueLayout.JAVA_LONG.withName("stx_attributes_mask"),
            timestamp("stx_atime"),
            timestamp("stx_btime"),
            timestamp("stx_ctime"),
            timestamp("stx_mtime"),
            ValueLayout.JAVA_INT.withName("stx_rdev_major"),
            ValueLayout.JAVA_INT.withName("stx_rdev_minor"),
            ValueLayout.JAVA_INT.withName("stx_dev_major"),
            ValueLayout.JAVA_INT.withName("stx_dev_minor"),
            ValueLayout.JAVA_LONG.withName("stx_mnt_id"),
            ValueLayout.JAVA_INT.withName("stx_dio_mem_align"),
            ValueLayout.JAVA_INT.withName("stx_dio_offset_align"),
            ValueLayout.JAVA_LONG.withName("stx_subvol"),
            ValueLayout.JAVA_INT.withName("stx_atomic_write_unit_min"),
            ValueLayout.JAVA_INT.withName("stx_atomic_write_unit_max"),
            ValueLayout.JAVA_INT.withName("stx_atomic_write_segments_max"),
            ValueLayout.JAVA_INT.withName("stx_dio_read_offset_align"),
            ValueLayout.JAVA_INT.withName("stx_atomic_write_unit_max_opt"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.paddingLayout(64)).withName("statx");

    /** {@code sizeof(struct statx)} = 256. */
    public static final long SIZE = LAYOUT.byteSize();
    /** The offset of {@code stx_mask}: the {@code STATX_*} fields the kernel filled. */
    public static final long STX_MASK = LAYOUT.byteOffset(groupElement("stx_mask"));
    /** The offset of {@code stx_blksize}: the preferred block size for I/O. */
    public static final long STX_BLKSIZE = LAYOUT.byteOffset(groupElement("stx_blksize"));
    /** The offset of {@code stx_mode}: the file type and permission bits. */
    public static final long STX_MODE = LAYOUT.byteOffset(groupElement("stx_mode"));
    /** The offset of {@code stx_size}: the size in bytes. */
    public static final long STX_SIZE = LAYOUT.byteOffset(groupElement("stx_size"));
    /** The offset of {@code stx_mtime}: the last modification time ({@code struct statx_timestamp}). */
    public static final long STX_MTIME = LAYOUT.byteOffset(groupElement("stx_mtime"));
    /** The offset of {@code stx_rdev_major}: the major number of the device a device file stands for. */
    public static final long STX_RDEV_MAJOR = LAYOUT.byteOffset(groupElement("stx_rdev_major"));
    /** The offset of {@code stx_rdev_minor}: the minor number of the device a device file stands for. */
    public static final long STX_RDEV_MINOR = LAYOUT.byteOffset(groupElement("stx_rdev_minor"));
    /** The offset of {@code stx_dev_major}: the major number of the device the file is on. */
    public static final long STX_DEV_MAJOR = LAYOUT.byteOffset(groupElement("stx_dev_major"));
    /** The offset of {@code stx_dev_minor}: the minor number of the device the file is on. */
    public static final long STX_DEV_MINOR = LAYOUT.byteOffset(groupElement("stx_dev_minor"));
    /**
     * The offset of {@code stx_dio_mem_align}: the memory alignment direct I/O needs, 0 if not supported ({@code
     * STATX_DIOALIGN}).
     */
    public static final long STX_DIO_MEM_ALIGN = LAYOUT.byteOffset(groupElement("stx_dio_mem_align"));
    /**
     * The offset of {@code stx_dio_offset_align}: the file offset and length alignment direct I/O needs, 0 if not
     * supported ({@code STATX_DIOALIGN}).
     */
    public static final long STX_DIO_OFFSET_ALIGN = LAYOUT.byteOffset(groupElement("stx_dio_offset_align"));
    /**
     * The offset of {@code stx_dio_read_offset_align}: the file offset alignment of direct reads, 0 if not reported
     * ({@code STATX_DIO_READ_ALIGN}).
     */
    public static final long STX_DIO_READ_OFFSET_ALIGN = LAYOUT.byteOffset(groupElement("stx_dio_read_offset_align"));

    /** {@code STATX_TYPE}. */
    public static final int STATX_TYPE = 0x1;
    /** {@code STATX_MODE}. */
    public static final int STATX_MODE = 0x2;
    /** {@code STATX_MTIME}. */
    public static final int STATX_MTIME = 0x40;
    /** {@code STATX_SIZE}. */
    public static final int STATX_SIZE = 0x200;
    /** {@code STATX_BASIC_STATS}. */
    public static final int STATX_BASIC_STATS = 0x7ff;
    /** {@code STATX_DIOALIGN} (6.1+): {@code stx_dio_mem_align} and {@code stx_dio_offset_align}. */
    public static final int STATX_DIOALIGN = 0x2000;
    /** {@code STATX_DIO_READ_ALIGN} (6.14+): {@code stx_dio_read_offset_align}. */
    public static final int STATX_DIO_READ_ALIGN = 0x20000;

    /** {@code S_IFMT}. */
    public static final int S_IFMT = 0170000;
    /** {@code S_IFREG}. */
    public static final int S_IFREG = 0100000;
    /** {@code S_IFDIR}. */
    public static final int S_IFDIR = 0040000;
    /** {@code S_IFBLK}. */
    public static final int S_IFBLK = 0060000;
    /** {@code S_IFCHR}. */
    public static final int S_IFCHR = 0020000;
    /** {@code S_IFIFO}. */
    public static final int S_IFIFO = 0010000;
    /** {@code S_IFSOCK}. */
    public static final int S_IFSOCK = 0140000;
    /** {@code S_IFLNK}. */
    public static final int S_IFLNK = 0120000;

    /**
     * {@return {@code stx_mask}: the {@code STATX_*} fields the kernel filled}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int mask(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_MASK); }
    /**
     * {@return {@code stx_mode}, unsigned: the file type ({@link #S_IFMT}) and permission bits}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int mode(MemorySegment stx) { return stx.get(ValueLayout.JAVA_SHORT, STX_MODE) & 0xffff; }
    /**
     * {@return {@code stx_size}: the size in bytes}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static long size(MemorySegment stx) { return stx.get(ValueLayout.JAVA_LONG, STX_SIZE); }
    /**
     * {@return {@code stx_blksize}: the preferred block size for I/O}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int blksize(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_BLKSIZE); }
    /**
     * {@return the seconds of {@code stx_mtime}}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static long mtimeSec(MemorySegment stx) { return stx.get(ValueLayout.JAVA_LONG, STX_MTIME); }
    /**
     * {@return the nanoseconds of {@code stx_mtime}}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int mtimeNsec(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_MTIME + 8); }
    /**
     * {@return {@code stx_rdev_major}: the major number of the device a device file stands for}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int rdevMajor(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_RDEV_MAJOR); }
    /**
     * {@return {@code stx_rdev_minor}: the minor number of the device a device file stands for}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int rdevMinor(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_RDEV_MINOR); }
    /**
     * {@return {@code stx_dev_major}: the major number of the device the file is on}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int devMajor(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_DEV_MAJOR); }
    /**
     * {@return {@code stx_dev_minor}: the minor number of the device the file is on}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int devMinor(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_DEV_MINOR); }
    /**
     * {@return {@code stx_dio_mem_align}: the memory alignment direct I/O needs, 0 if not supported ({@code
     * STATX_DIOALIGN})}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int dioMemAlign(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_DIO_MEM_ALIGN); }
    /**
     * {@return {@code stx_dio_offset_align}: the file offset and length alignment direct I/O needs, 0 if not supported
     * ({@code STATX_DIOALIGN})}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int dioOffsetAlign(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_DIO_OFFSET_ALIGN); }
    /**
     * {@return {@code stx_dio_read_offset_align}: the file offset alignment of direct reads, 0 if not reported ({@code
     * STATX_DIO_READ_ALIGN})}
     *
     * @param stx a {@code struct statx} the kernel filled
     */
    public static int dioReadOffsetAlign(MemorySegment stx) { return stx.get(ValueLayout.JAVA_INT, STX_DIO_READ_OFFSET_ALIGN); }
}

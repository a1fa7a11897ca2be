package io.linuxaio.abi;

/**
 * I/O priority encoding of {@code <linux/ioprio.h>}, for {@code aio_reqprio} with
 * {@link AioAbi#IOCB_FLAG_IOPRIO}.
 */
public final class IoPrio {

    private IoPrio() {
    }

    /** {@code IOPRIO_CLASS_SHIFT}. */
    public static final int IOPRIO_CLASS_SHIFT = 13;
    /** {@code IOPRIO_NR_CLASSES}. */
    public static final int IOPRIO_NR_CLASSES = 8;
    /** {@code IOPRIO_CLASS_MASK}. */
    public static final int IOPRIO_CLASS_MASK = IOPRIO_NR_CLASSES - 1;
    /** {@code IOPRIO_PRIO_MASK}. */
    public static final int IOPRIO_PRIO_MASK = (1 << IOPRIO_CLASS_SHIFT) - 1;
    /** {@code IOPRIO_NR_LEVELS}: levels 0 (highest) to 7 (lowest) of the RT and BE classes. */
    public static final int IOPRIO_NR_LEVELS = 8;
    /** {@code IOPRIO_LEVEL_MASK}. */
    public static final int IOPRIO_LEVEL_MASK = IOPRIO_NR_LEVELS - 1;
    /** {@code IOPRIO_HINT_SHIFT} (6.5+). */
    public static final int IOPRIO_HINT_SHIFT = 3;
    /** {@code IOPRIO_HINT_MASK}. */
    public static final int IOPRIO_HINT_MASK = (1 << 10) - 1;

    /** {@code IOPRIO_CLASS_NONE}: no class set, the task's own priority applies. */
    public static final int IOPRIO_CLASS_NONE = 0;
    /** {@code IOPRIO_CLASS_RT}: real time (needs CAP_SYS_ADMIN). */
    public static final int IOPRIO_CLASS_RT = 1;
    /** {@code IOPRIO_CLASS_BE}: best effort. */
    public static final int IOPRIO_CLASS_BE = 2;
    /** {@code IOPRIO_CLASS_IDLE}: only when nobody else needs the disk. */
    public static final int IOPRIO_CLASS_IDLE = 3;

    /**
     * {@code IOPRIO_PRIO_VALUE(class, data)}.
     *
     * @param ioClass an {@code IOPRIO_CLASS_*}
     * @param data the class's data (the level, and hints from 6.5 on)
     * @return the priority, for {@link Iocb#setIoprio}
     * @throws IllegalArgumentException if the class or the data is out of range
     */
    public static int prioValue(int ioClass, int data) {
        if (ioClass < 0 || ioClass >= IOPRIO_NR_CLASSES) {
            throw new IllegalArgumentException("ioprio class " + ioClass + " is out of range 0.." + IOPRIO_CLASS_MASK);
        }
        if (data < 0 || data > IOPRIO_PRIO_MASK) {
            throw new IllegalArgumentException("ioprio data " + data + " is out of range 0.." + IOPRIO_PRIO_MASK);
        }
        return (ioClass << IOPRIO_CLASS_SHIFT) | data;
    }

    /**
     * {@code IOPRIO_PRIO_VALUE(class, level)} with the level checked against {@code IOPRIO_NR_LEVELS}.
     *
     * @param ioClass an {@code IOPRIO_CLASS_*}
     * @param level 0 (highest) to 7 (lowest)
     * @return the priority, for {@link Iocb#setIoprio}
     * @throws IllegalArgumentException if the class or the level is out of range
     */
    public static int prioLevel(int ioClass, int level) {
        if (level < 0 || level >= IOPRIO_NR_LEVELS) {
            throw new IllegalArgumentException("ioprio level " + level + " is out of range 0.." + IOPRIO_LEVEL_MASK);
        }
        return prioValue(ioClass, level);
    }

    /**
     * {@return {@code IOPRIO_PRIO_CLASS(ioprio)}, the class}
     *
     * @param ioprio a priority
     */
    public static int prioClass(int ioprio) {
        return (ioprio >>> IOPRIO_CLASS_SHIFT) & IOPRIO_CLASS_MASK;
    }

    /**
     * {@return {@code IOPRIO_PRIO_DATA(ioprio)}, the class's data}
     *
     * @param ioprio a priority
     */
    public static int prioData(int ioprio) {
        return ioprio & IOPRIO_PRIO_MASK;
    }

    /**
     * {@return {@code IOPRIO_PRIO_LEVEL(ioprio)}, the level}
     *
     * @param ioprio a priority
     */
    public static int prioLevelOf(int ioprio) {
        return ioprio & IOPRIO_LEVEL_MASK;
    }
}

package io.linuxaio.engine;

import io.linuxaio.abi.AioAbi;

/**
 * The kinds of request the engine carries, each with its {@code IOCB_CMD_*} opcode and the name its
 * errors use. Immutable; any thread.
 */
public enum Op {
    PREAD(AioAbi.IOCB_CMD_PREAD, "pread"),
    PWRITE(AioAbi.IOCB_CMD_PWRITE, "pwrite"),
    FSYNC(AioAbi.IOCB_CMD_FSYNC, "fsync"),
    FDSYNC(AioAbi.IOCB_CMD_FDSYNC, "fdatasync"),
    POLL(AioAbi.IOCB_CMD_POLL, "poll"),
    PREADV(AioAbi.IOCB_CMD_PREADV, "preadv"),
    PWRITEV(AioAbi.IOCB_CMD_PWRITEV, "pwritev");

    private final short opcode;
    private final String callName;

    Op(int opcode, String callName) {
        this.opcode = (short) opcode;
        this.callName = callName;
    }

    /** The iocb's {@code aio_lio_opcode}. */
    public short opcode() {
        return opcode;
    }

    /** The system call this request stands for, as error messages name it. */
    public String callName() {
        return callName;
    }

    /** Whether the request reads file data into memory. */
    public boolean isRead() {
        return this == PREAD || this == PREADV;
    }

    /** Whether the request writes memory into the file. */
    public boolean isWrite() {
        return this == PWRITE || this == PWRITEV;
    }

    /** Whether the request moves bytes (a read or a write). */
    public boolean isTransfer() {
        return isRead() || isWrite();
    }
}

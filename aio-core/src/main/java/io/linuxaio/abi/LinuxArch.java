package io.linuxaio.abi;

import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The architecture-specific numbers the binding needs: AIO syscall numbers and the {@code open(2)}
 * flags whose values differ between architectures. Chosen once, from {@code os.arch}.
 *
 * <p>x86_64 has its own syscall table; aarch64 (and riscv64, loongarch64) use asm-generic's.
 */
public enum LinuxArch {
    /** x86_64: {@code arch/x86/entry/syscalls/syscall_64.tbl}. */
    X86_64(206, 207, 208, 209, 210, 333, 0x4000, 0x10000, 0x20000),
    /** aarch64: {@code include/uapi/asm-generic/unistd.h}, {@code arch/arm64/include/uapi/asm/fcntl.h}. */
    AARCH64(0, 1, 4, 2, 3, 292, 0x10000, 0x4000, 0x8000),
    /** riscv64: asm-generic syscall numbers and open flags. */
    RISCV64(0, 1, 4, 2, 3, 292, 0x4000, 0x10000, 0x20000);

    /** {@code __NR_io_setup}. */
    public final long sysIoSetup;
    /** {@code __NR_io_destroy}. */
    public final long sysIoDestroy;
    /** {@code __NR_io_getevents}. */
    public final long sysIoGetevents;
    /** {@code __NR_io_submit}. */
    public final long sysIoSubmit;
    /** {@code __NR_io_cancel}. */
    public final long sysIoCancel;
    /** {@code __NR_io_pgetevents}. */
    public final long sysIoPgetevents;
    /** {@code O_DIRECT} on this architecture. */
    public final int oDirect;
    /** {@code O_DIRECTORY} on this architecture. */
    public final int oDirectory;
    /** {@code O_NOFOLLOW} on this architecture. */
    public final int oNofollow;

    LinuxArch(long setup, long destroy, long getevents, long submit, long cancel, long pgetevents,
              int oDirect, int oDirectory, int oNofollow) {
        this.sysIoSetup = setup;
        this.sysIoDestroy = destroy;
        this.sysIoGetevents = getevents;
        this.sysIoSubmit = submit;
        this.sysIoCancel = cancel;
        this.sysIoPgetevents = pgetevents;
        this.oDirect = oDirect;
        this.oDirectory = oDirectory;
        this.oNofollow = oNofollow;
    }

    private static final LinuxArch CURRENT = detect(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));

    /**
     * {@return the architecture of this JVM, or {@code null} when it is not Linux on a supported architecture
     * (then {@link LinuxAio#isAvailable()} is false and says why)}
     */
    public static LinuxArch current() {
        return CURRENT;
    }

    static LinuxArch detect(String osName, String osArch) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux") || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return null;
        }
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            case "riscv64" -> RISCV64;
            default -> null;
        };
    }
}

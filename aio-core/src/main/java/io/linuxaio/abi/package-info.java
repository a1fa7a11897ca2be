/**
 * The one-to-one binding of {@code <linux/aio_abi.h>} over the Foreign Function and Memory API, for
 * anyone who wants the kernel interface itself or builds another wrapper on it.
 *
 * <ul>
 *   <li>{@link io.linuxaio.abi.LinuxAio}: {@code io_setup}, {@code io_destroy}, {@code io_submit},
 *       {@code io_cancel}, {@code io_getevents}, {@code io_pgetevents}, and whether AIO is available.</li>
 *   <li>The structures as static flyweights over a {@link java.lang.foreign.MemorySegment}, with their
 *       layouts and field offsets: {@link io.linuxaio.abi.Iocb}, {@link io.linuxaio.abi.IoEvent},
 *       {@link io.linuxaio.abi.AioRing} (the completion ring the kernel maps), {@link io.linuxaio.abi.IoVec},
 *       {@link io.linuxaio.abi.Timespec}, {@link io.linuxaio.abi.AioSigset}, {@link io.linuxaio.abi.Statx}.</li>
 *   <li>The constants: {@link io.linuxaio.abi.AioAbi} ({@code IOCB_CMD_*}, {@code IOCB_FLAG_*},
 *       {@code RWF_*}), {@link io.linuxaio.abi.IoPrio}, {@link io.linuxaio.abi.Errno}, and the numbers
 *       that differ by architecture ({@link io.linuxaio.abi.LinuxArch}).</li>
 *   <li>The descriptors AIO works with: {@link io.linuxaio.abi.EventFd} and the few C library calls of
 *       {@link io.linuxaio.abi.LibC}; system-wide limits in {@link io.linuxaio.abi.AioLimits}.</li>
 * </ul>
 *
 * <p>Every call comes raw and checked. A raw call carries the C name ({@code io_submit}), returns the
 * result or {@code -errno}, never throws for a failed call and allocates nothing. A checked call is
 * camel case ({@code ioSubmit}) and throws an {@link io.linuxaio.abi.ErrnoException} that names the call,
 * the errno and what it means for that call. All calls may be made from any thread.
 *
 * <p>Memory handed to the kernel (iocbs, buffers, events) must stay alive until the kernel is done with
 * it: until the completion for an I/O, and until {@code io_destroy} returned for the context's memory.
 * Native access must be enabled for the module that holds this package ({@code io.linuxaio.core}) or,
 * on the class path, for {@code ALL-UNNAMED}.
 */
package io.linuxaio.abi;

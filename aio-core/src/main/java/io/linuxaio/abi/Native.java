package io.linuxaio.abi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The one place that builds downcall handles. Every handle captures {@code errno} in the call
 * state ({@link Linker.Option#captureCallState(String...)}): errno is never read after the fact.
 */
final class Native {

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            CALL_STATE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /**
     * One call-state buffer per thread: the downcall writes errno there, the caller reads it at once.
     * Only the JVM writes it, so an automatic arena is safe (nothing asynchronous ever targets it).
     */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    private Native() {
    }

    static MemorySegment callState() {
        return CALL_STATE.get();
    }

    static int errno(MemorySegment callState) {
        return callState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /**
     * A handle for a libc function that captures errno; {@code null} when libc lacks the symbol or the JVM
     * denies native access (see {@link NativeAccess}).
     */
    static MethodHandle libc(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Optional<MemorySegment> symbol = LIBC.find(name);
        if (symbol.isEmpty()) {
            return null;
        }
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return NativeAccess.downcall(symbol.get(), descriptor, all);
    }

    /** A handle for a libc function that does not set errno. */
    static MethodHandle libcNoErrno(String name, FunctionDescriptor descriptor) {
        return LIBC.find(name).map(s -> NativeAccess.downcall(s, descriptor)).orElse(null);
    }

    /** {@code long syscall(long number, ...)} with {@code argc} variadic arguments of the given layouts. */
    static MethodHandle syscall(ValueLayout... args) {
        ValueLayout[] all = new ValueLayout[args.length + 1];
        all[0] = ValueLayout.JAVA_LONG;
        System.arraycopy(args, 0, all, 1, args.length);
        return libc("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all), Linker.Option.firstVariadicArg(1));
    }

    /** Why a handle is null: native access denied, or the symbol missing from this C library. */
    static RuntimeException missing(String name) {
        if (NativeAccess.isDenied()) {
            return NativeAccess.deniedException();
        }
        return new UnsupportedOperationException(name + " is not available in this C library");
    }

    /** {@code h}, or the exception that says why it is null. */
    static MethodHandle need(MethodHandle h, String name) {
        if (h == null) {
            throw missing(name);
        }
        return h;
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a native call", t);
    }
}

package io.linuxaio.abi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Whether the JVM lets this module call native code, learnt where the first downcall handle is built (any
 * thread, once). Without {@code --enable-native-access} the JVM either warns in its own words (logged here
 * too, once, in one line naming the option) or denies the call ({@code --illegal-native-access=deny}): then
 * every handle is null and each call, and {@link LinuxAio#ensureAvailability()}, throws an
 * {@link IllegalCallerException} naming the option, instead of an {@code ExceptionInInitializerError}.
 */
final class NativeAccess {

    private static final Logger LOG = LoggerFactory.getLogger(NativeAccess.class);
    private static final Module MODULE = NativeAccess.class.getModule();
    private static final boolean ENABLED = MODULE.isNativeAccessEnabled();

    /** The JVM's refusal, once a handle was refused; null while none was. */
    private static volatile IllegalCallerException denied;
    private static volatile boolean warned;

    private NativeAccess() {
    }

    /** {@return the one line that says what to add to the java command} */
    static String message() {
        String where = MODULE.isNamed() ? "module " + MODULE.getName() : "the class path (the unnamed module)";
        return "linux-aio: native access is not enabled for " + where + "; add --enable-native-access="
                + (MODULE.isNamed() ? MODULE.getName() + " (module path) or ALL-UNNAMED (class path)"
                        : "ALL-UNNAMED (class path) or io.linuxaio.core (module path)");
    }

    /** A downcall handle, or null when the JVM denies native access to this module. */
    static MethodHandle downcall(MemorySegment symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        if (ENABLED) {
            return Native.LINKER.downcallHandle(symbol, descriptor, options);
        }
        if (denied != null) {
            return null;
        }
        try {
            MethodHandle h = Native.LINKER.downcallHandle(symbol, descriptor, options);
            if (!warned) {
                warned = true; // a race may log it twice: harmless
                LOG.warn(message());
            }
            return h;
        } catch (IllegalCallerException e) {
            denied = e;
            return null;
        }
    }

    /** {@return whether the JVM refused this module a downcall} */
    static boolean isDenied() {
        return denied != null;
    }

    /** {@return a new exception that names the option, caused by the JVM's refusal} Call it only when denied. */
    static IllegalCallerException deniedException() {
        return new IllegalCallerException(message(), denied);
    }
}

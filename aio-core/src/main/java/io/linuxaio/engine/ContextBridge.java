package io.linuxaio.engine;

import io.linuxaio.AioContext;

/**
 * How {@code io.linuxaio.spi} makes a context without the public API exposing the engine: the facade
 * package registers this bridge once, when {@link AioContext} is initialised (which it is before anyone
 * holds a builder). Any thread.
 */
public interface ContextBridge {

    /** The settings a builder holds. */
    EngineSettings settings(AioContext.Builder builder);

    /** The user-facing context over {@code engine}. */
    AioContext wrap(Engine engine);

    /** Registers the bridge. Called once by {@link AioContext}. */
    static void register(ContextBridge bridge) {
        Holder.bridge = bridge;
    }

    /** The registered bridge. */
    static ContextBridge get() {
        ContextBridge b = Holder.bridge;
        if (b == null) {
            AioContext.builder(); // initialises AioContext, which registers itself
            b = Holder.bridge;
        }
        return b;
    }

    /** The registered bridge's holder. */
    final class Holder {
        private static volatile ContextBridge bridge;

        private Holder() {
        }
    }
}

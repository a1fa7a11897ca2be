package io.linuxaio.spi;

import io.linuxaio.AioAbandonedException;
import io.linuxaio.AioContext;
import io.linuxaio.engine.ContextBridge;
import io.linuxaio.engine.Engine;

import java.io.IOException;
import java.util.Objects;

/**
 * A driver's hold on one context it drives: made for an {@link AioOwner}, it gives the eventfd to watch,
 * the owner's turn to run when it is readable, and the teardown for an owner that goes away. Users get
 * the {@link #context()}; the driver keeps this object.
 *
 * <pre>{@code
 * AioDriver driver = AioDriver.create(AioContext.builder().name("loop-1"), owner);
 * watch(driver.eventFd(), () -> driver.runOwnerTurn());   // on the owner thread, when readable
 * ...
 * driver.abandon("the loop shut down");                   // if the owner stops before the context is closed
 * }</pre>
 */
public final class AioDriver {

    private final Engine engine;
    private final AioContext context;

    private AioDriver(Engine engine, AioContext context) {
        this.engine = engine;
        this.context = context;
    }

    /**
     * A new context with the builder's settings, owned by {@code owner}: its eventfd is non-blocking and
     * no thread is started. Any thread.
     *
     * @param settings the context's settings
     * @param owner the owner thread's driver: runs tasks and the owner's turns
     * @return the driver of the new context
     * @throws IOException when the kernel refuses the context ({@code aio-max-nr} exhausted, say)
     */
    public static AioDriver create(AioContext.Builder settings, AioOwner owner) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(owner, "owner");
        ContextBridge bridge = ContextBridge.get();
        Engine engine = new Engine(bridge.settings(settings), owner);
        return new AioDriver(engine, bridge.wrap(engine));
    }

    /** {@return the context, for users} Any thread. */
    public AioContext context() {
        return context;
    }

    /** {@return the owner given at creation} Any thread. */
    public AioOwner owner() {
        return engine.owner();
    }

    /** {@return the eventfd the kernel signals on every completion: watch it for readability} Any thread. */
    public int eventFd() {
        return engine.eventFd();
    }

    /**
     * The owner's turn: resets the eventfd, reaps every completion the kernel posted and completes their
     * futures, then submits what is batched. Owner thread, whenever the eventfd is readable (it returns at
     * once after teardown).
     */
    public void runOwnerTurn() {
        engine.runOwnerTurn();
    }

    /**
     * Tears the context down because its owner is going away while the context is still open: requests
     * the kernel holds are waited for and complete as usual (a disk access), pending polls and requests
     * that had not reached the kernel fail with {@link AioAbandonedException}, requests on the blocking pool
     * fail when they return, and everything is freed. Owner thread, or any thread once the owner runs no
     * more tasks. Idempotent.
     *
     * @param reason why, for the exceptions' messages
     */
    public void abandon(String reason) {
        engine.abandon(Objects.requireNonNull(reason, "reason"));
    }

    @Override
    public String toString() {
        return "AioDriver[" + engine + "]";
    }
}

package io.linuxaio;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of a channel's read or write, which the owner thread of the channel's context completes:
 * waiting for it on that very thread ({@code get}, {@code join}; a handler does it) would wait forever,
 * so it throws {@code IllegalStateException} at once instead. (The JDK's channel completes its futures on
 * a pool, where a handler may wait.) Any thread.
 */
final class OwnerCompletedFuture<T> extends CompletableFuture<T> {

    private final AioContext context;

    OwnerCompletedFuture(AioContext context) {
        this.context = context;
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        refuseOwner();
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        refuseOwner();
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        refuseOwner();
        return super.join();
    }

    private void refuseOwner() {
        if (!isDone() && context.inOwnerThread()) {
            throw new IllegalStateException("waiting on the owner thread of " + context + " for a request that"
                    + " this thread has to complete would never end; use a completion handler or a dependent");
        }
    }
}

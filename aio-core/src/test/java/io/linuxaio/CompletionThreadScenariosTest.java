package io.linuxaio;

import io.linuxaio.testing.EngineScenarios;
import io.linuxaio.testing.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;

/** The engine scenarios on the library's own completion thread ({@link AioContext.Builder#build()}). */
@ExtendWith(LeakCheck.class)
class CompletionThreadScenariosTest extends EngineScenarios {

    @Override
    protected AioContext open(AioContext.Builder builder) throws IOException {
        return builder.build();
    }

    /** The completion thread is named after its context. */
    @Override
    protected boolean isOwnerThread(AioContext context, Thread thread) {
        return thread.getName().equals(context.name() + "-completion");
    }
}

package io.linuxaio;

import io.linuxaio.testing.EngineScenarios;
import io.linuxaio.testing.LeakCheck;
import io.linuxaio.testing.OwnerThread;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine scenarios on a {@code ManualOwner} run by one {@link OwnerThread}, which owns every context
 * of the class and runs their turns when their eventfds are readable, as an event loop would.
 */
@ExtendWith(LeakCheck.class)
class ManualOwnerScenariosTest extends EngineScenarios {

    static OwnerThread owner;

    @BeforeAll
    static void startOwner() {
        owner = OwnerThread.start("scenario-owner");
    }

    @AfterAll
    static void stopOwner() {
        owner.stop();
    }

    @AfterEach
    void ownerStayedHealthy() {
        assertEquals(java.util.List.of(), owner.failures(), "what the owner thread's tasks and turns threw");
    }

    @Override
    protected AioContext open(AioContext.Builder builder) throws IOException {
        return owner.context(builder);
    }

    @Override
    protected boolean isOwnerThread(AioContext context, Thread thread) {
        return thread == owner.thread();
    }
}

package io.linuxaio.netty.http;

import io.linuxaio.netty.LeakRecorder;
import io.linuxaio.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** A test class whose {@code @BeforeAll} sets {@link #http} to a server of its tree, closed after its tests. */
@ExtendWith(LeakCheck.class)
abstract class ServedTreeTest {

    static {
        LeakRecorder.install();
    }

    static RawHttp http;

    @AfterAll
    static void stopServer() throws Exception {
        if (http != null) {
            http.close();
            http = null;
        }
    }

    @AfterEach
    void noLeaks() throws Exception {
        LeakRecorder.assertNoLeaks();
    }
}

package io.linuxaio.netty;

import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class AioHttpClientTest {
    @Test
    void probe() throws Exception {
        Class<?> c = Class.forName("java.net.http.HttpClient");
        Object b = c.getMethod("newBuilder").invoke(null);
        Object built = Class.forName("java.net.http.HttpClient$Builder").getMethod("build").invoke(b);
        assertNotNull(built);
        System.out.println(AioHttpClientTest.class.getModule() + " " + c.getModule() + " " + built.getClass());
    }
}

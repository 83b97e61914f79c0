package io.mounter.door;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class HttpListenAddressTest {
    @Test
    void theDefaultIsLoopbackPort9477() {
        HttpListenAddress.Tcp tcp = assertInstanceOf(HttpListenAddress.Tcp.class,
                HttpListenAddress.parse(HttpListenAddress.DEFAULT));
        assertEquals("127.0.0.1", tcp.address().getAddress().getHostAddress());
        assertEquals(9477, tcp.address().getPort());
        assertEquals("127.0.0.1:9477", tcp.toString());
    }

    @Test
    void otherLoopbackForms() {
        assertEquals(0, ((HttpListenAddress.Tcp) HttpListenAddress.parse("127.0.0.2:0")).address().getPort());
        assertTrue(((HttpListenAddress.Tcp) HttpListenAddress.parse("[::1]:9000")).address().getAddress()
                .isLoopbackAddress());
        assertTrue(((HttpListenAddress.Tcp) HttpListenAddress.parse("localhost:9000")).address().getAddress()
                .isLoopbackAddress());
    }

    @Test
    void unixAndOff() {
        assertEquals(new HttpListenAddress.Unix(Path.of("/run/mounter/http.sock")),
                HttpListenAddress.parse("unix:/run/mounter/http.sock"));
        assertInstanceOf(HttpListenAddress.Off.class, HttpListenAddress.parse("off"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0:9477", "[::]:9477", "192.0.2.1:9477", "10.0.0.1:80"})
    void nonLoopbackAddressesAreRefusedWithTheReason(String address) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpListenAddress.parse(address));
        assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
        assertTrue(e.getMessage().contains("node's network"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"9477", ":9477", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:65536",
        "127.0.0.1:-1", "unix:relative/http.sock", "unix:", "on"})
    void malformedValuesAreRefused(String value) {
        assertThrows(IllegalArgumentException.class, () -> HttpListenAddress.parse(value));
    }
}

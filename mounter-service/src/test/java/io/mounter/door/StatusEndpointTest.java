package io.mounter.door;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.protocol.Operation;
import io.mounter.observability.Health;
import io.mounter.observability.MounterMetrics;
import io.mounter.observability.MounterMetricsTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class StatusEndpointTest {
    private final Health health = new Health();
    private final MounterMetrics metrics = new MounterMetrics(() -> 2, java.util.Map::of, health);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<StatusEndpoint> started = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeEndpoints() {
        started.forEach(StatusEndpoint::close);
    }

    private StatusEndpoint start(HttpListenAddress address) throws IOException {
        StatusEndpoint endpoint = StatusEndpoint.start(address, metrics, health);
        started.add(endpoint);
        return endpoint;
    }

    private URI onLoopback(String path) throws IOException {
        return URI.create("http://127.0.0.1:" + loopbackEndpoint().getPort() + path);
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzIsOkThen503WithTheReasonOnceDegraded() throws Exception {
        URI healthz = onLoopback("/healthz");
        HttpResponse<String> ok = get(healthz);
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());

        health.degrade("state", "cannot write /var/lib/mounter: No space left on device");
        HttpResponse<String> degraded = get(healthz);
        assertEquals(503, degraded.statusCode());
        assertEquals(health.summary() + "\n", degraded.body());

        health.recover("state");
        assertEquals(200, get(healthz).statusCode());
    }

    @Test
    void metricsInTheTextFormat() throws Exception {
        metrics.observe(Operation.MOUNT, 0, 1_000_000);
        HttpResponse<String> response = get(onLoopback("/metrics?name[]=ignored"));
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElseThrow()
                .startsWith("text/plain; version=0.0.4"), response.headers().toString());
        MounterMetricsTest.assertSample(response.body(), "mounter_requests_total{op=\"MOUNT\",result=\"ok\",}", 1);
        MounterMetricsTest.assertSample(response.body(), "mounter_mounts_held", 2);
    }

    @Test
    void otherPathsAre404AndOtherMethods405() throws Exception {
        URI base = onLoopback("/");
        assertEquals(404, get(base.resolve("/")).statusCode());
        assertEquals(404, get(base.resolve("/metrics/x")).statusCode());
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("allow").orElseThrow());
    }

    @Test
    void headAnswersWithoutABody() throws Exception {
        HttpResponse<String> head = client.send(HttpRequest.newBuilder(onLoopback("/healthz"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals("3", head.headers().firstValue("content-length").orElseThrow());
    }

    @Test
    void oneKeptAliveConnectionServesSeveralRequests() throws Exception {
        URI healthz = onLoopback("/healthz");
        for (int i = 0; i < 5; i++) {
            assertEquals(200, get(healthz).statusCode());
        }
    }

    @Test
    void aUnixSocketServesTheSamePagesAndIsRemovedOnClose() throws Exception {
        Path socket = dir.resolve("http.sock");
        StatusEndpoint endpoint = start(new HttpListenAddress.Unix(socket));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

        String healthz = UnixHttp.get(socket, "/healthz");
        assertTrue(healthz.startsWith("HTTP/1.1 200 OK\r\n"), healthz);
        assertTrue(healthz.endsWith("\r\n\r\nok\n"), healthz);
        health.degrade("watcher", "cannot read mountinfo");
        assertTrue(UnixHttp.get(socket, "/healthz").startsWith("HTTP/1.1 503 "));
        String metricsPage = UnixHttp.get(socket, "/metrics");
        assertTrue(metricsPage.toLowerCase().contains("content-type: text/plain; version=0.0.4"), metricsPage);
        assertTrue(metricsPage.contains("\nmounter_healthy 0.0\n"), metricsPage);
        assertTrue(UnixHttp.get(socket, "/nothing").startsWith("HTTP/1.1 404 "));

        endpoint.close();
        assertFalse(Files.exists(socket), "socket file removed");
    }

    @Test
    void aStaleUnixSocketIsReplacedButALiveOneOrAFileIsNot() throws Exception {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale), "closing a listener leaves its file");
        start(new HttpListenAddress.Unix(stale));
        assertTrue(UnixHttp.get(stale, "/healthz").startsWith("HTTP/1.1 200 "));

        IOException live = assertThrows(IOException.class, () -> start(new HttpListenAddress.Unix(stale)));
        assertTrue(live.getMessage().contains("listens on"), live.getMessage());

        Path file = Files.writeString(dir.resolve("file"), "keep me");
        IOException notSocket = assertThrows(IOException.class, () -> start(new HttpListenAddress.Unix(file)));
        assertTrue(notSocket.getMessage().contains("not a socket"), notSocket.getMessage());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void aPortInUseStopsTheStartWithTheAddress() throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            IOException e = assertThrows(IOException.class, () -> start(HttpListenAddress.parse("127.0.0.1:" + port)));
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        }
    }

    @Test
    void garbageGets400AndTheConnectionCloses() throws Exception {
        InetSocketAddress address = loopbackEndpoint();
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.getOutputStream().write("\u0001\u0002 nonsense\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String answer = readToEnd(socket);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
    }

    /** Threat: clients that trickle a byte now and then would hold every connection and keep the probe out. */
    @Test
    void slowClientsAreClosedOnceTheirRequestIsLateAndTheProbeGetsIn() throws Exception {
        InetSocketAddress address = loopbackEndpoint();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < StatusEndpoint.MAX_CONNECTIONS; i++) {
                Socket socket = new Socket(address.getAddress(), address.getPort());
                socket.getOutputStream().write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.add(socket);
            }
            long start = System.nanoTime();
            String answer = "";
            long deadline = start + Duration.ofSeconds(StatusEndpoint.REQUEST_SECONDS + 3).toNanos();
            while (!answer.startsWith("HTTP/1.1 200 ") && System.nanoTime() < deadline) {
                for (Socket socket : slow) {
                    try {
                        socket.getOutputStream().write('X'); // a byte now and then: never a whole request
                    } catch (IOException closedByTheEndpoint) {
                        // what the deadline does
                    }
                }
                try (Socket probe = new Socket(address.getAddress(), address.getPort())) {
                    probe.getOutputStream().write("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    answer = readToEnd(probe);
                } catch (IOException refused) {
                    answer = "";
                }
                Thread.sleep(200);
            }
            assertTrue(answer.startsWith("HTTP/1.1 200 "), "the probe got no answer: " + answer);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= (StatusEndpoint.REQUEST_SECONDS - 1) * 1000L, "in after " + millis + " ms");
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        InetSocketAddress address = loopbackEndpoint();
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < StatusEndpoint.MAX_CONNECTIONS; i++) {
                held.add(new Socket(address.getAddress(), address.getPort()));
            }
            try (Socket extra = new Socket(address.getAddress(), address.getPort())) {
                assertEquals("", readToEnd(extra), "closed without an answer");
            }
            held.remove(0).close();
            // the freed slot serves again (the close may take a moment to reach the server)
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            String answer = "";
            while (!answer.startsWith("HTTP/1.1 200 ") && System.nanoTime() < deadline) {
                try (Socket again = new Socket(address.getAddress(), address.getPort())) {
                    again.getOutputStream().write("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    answer = readToEnd(again);
                }
            }
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    private InetSocketAddress loopbackEndpoint() throws IOException {
        StatusEndpoint endpoint = start(new HttpListenAddress.Tcp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        return (InetSocketAddress) endpoint.localAddress();
    }

    /** What the server sends until it closes; a read timeout fails the test. */
    private static String readToEnd(Socket socket) throws IOException {
        socket.setSoTimeout(5000);
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void offServesNothing() throws IOException {
        assertNull(start(new HttpListenAddress.Off()).localAddress());
    }

    @Test
    void aNonLoopbackAddressCannotEvenBeNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HttpListenAddress.Tcp(new InetSocketAddress("0.0.0.0", 9477)));
        assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    }

    /** A raw HTTP/1.1 GET over a unix stream socket: what curl --unix-socket does. */
    static final class UnixHttp {
        private UnixHttp() {
        }

        static String get(Path socket, String path) throws IOException {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
                while (channel.read(buffer) >= 0 && buffer.hasRemaining()) {
                    // until the server closes
                }
                return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            }
        }
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * mounterd's status endpoint on a unix socket in the container's /run/mounter, read from
 * this JVM through the container's root as a node agent would: a forwarded FUSE mount
 * shows up in /metrics, /healthz says ok, and mounterd's log is JSON lines.
 */
@Timeout(120)
class UnixStatusEndpointTest extends OnMounterNode {
    private static final String HTTP_SOCKET = "/run/mounter/http.sock";

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--http-listen", "unix:" + HTTP_SOCKET);
    }

    @Test
    void aForwardedMountShowsInMetricsAndHealthzIsOk() throws IOException {
        Path source = node.node().newDirectory("metrics-source");
        Path target = node.node().newVolumeDir("metrics");
        node.container().run("bindfs", source.toString(), target.toString());
        try {
            String metrics = get("/metrics");
            assertTrue(metrics.startsWith("HTTP/1.1 200 OK\r\n"), metrics);
            assertTrue(metrics.toLowerCase().contains("\r\ncontent-type: text/plain; version=0.0.4"), metrics);
            assertTrue(value(metrics, "mounter_requests_total{op=\"MOUNT\",result=\"ok\",}") >= 1, metrics);
            assertEquals(1, value(metrics, "mounter_mounts_held"), metrics);
            assertTrue(value(metrics, "mounter_request_duration_seconds_count{op=\"MOUNT\",}") >= 1, metrics);
            assertTrue(value(metrics, "process_open_fds") > 0, metrics);

            String healthz = get("/healthz");
            assertTrue(healthz.startsWith("HTTP/1.1 200 OK\r\n") && healthz.endsWith("\r\n\r\nok\n"), healthz);
        } finally {
            node.host().run("umount", target.toString());
        }

        String log = node.mounterd().log();
        for (String line : log.split("\n")) {
            // the JVM's own warnings ("[0.010s][warning][cds] ...") are its format, not mounterd's
            boolean jvm = line.matches("\\[[0-9.]+s\\]\\[\\w+ *\\].*");
            assertTrue(line.isEmpty() || jvm || line.startsWith("{\"timestamp\":") && line.endsWith("}"),
                    "mounterd logs one JSON object per line, found: " + line + "\nin:\n" + log);
        }
        assertTrue(log.lines().anyMatch(line -> line.contains("\"loggerName\":\"io.mounter.request.RequestHandler\"")
                && line.contains("{\"op\":\"MOUNT\"}") && line.contains("{\"fstype\":\"fuse\"}")
                && line.contains("{\"result\":\"ok\"}") && line.contains("{\"duration_us\":")),
                "a request line for the mount:\n" + log);
    }

    private String get(String path) throws IOException {
        return StatusPage.get(node.container().hostView(HTTP_SOCKET), path);
    }

    /** The value of the sample line that starts with {@code series} and a space. */
    private static double value(String page, String series) {
        return page.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + page));
    }
}

package io.mounter.door;

import io.mounter.observability.Health;
import io.mounter.observability.MounterMetrics;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * What the status endpoint answers, apart from HTTP itself: {@code GET /healthz} and
 * {@code GET /metrics} (HEAD too), 404 for other paths, 405 for other methods.
 */
final class StatusPages {
    static final String TEXT = "text/plain; charset=utf-8";

    /** One answer; {@code allow} is set for 405. */
    record Page(HttpResponseStatus status, String contentType, byte[] body, String allow) {
        static Page text(HttpResponseStatus status, String text) {
            return new Page(status, TEXT, (text + "\n").getBytes(StandardCharsets.UTF_8), null);
        }
    }

    private final MounterMetrics metrics;
    private final Health health;

    StatusPages(MounterMetrics metrics, Health health) {
        this.metrics = metrics;
        this.health = health;
    }

    /** @param path the request target's path, without the query */
    Page answer(HttpMethod method, String path) {
        boolean known = path.equals("/healthz") || path.equals("/metrics");
        if (!known) {
            return Page.text(HttpResponseStatus.NOT_FOUND, "not found: try /healthz or /metrics");
        }
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return new Page(HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT,
                    "method not allowed\n".getBytes(StandardCharsets.UTF_8), "GET, HEAD");
        }
        if (path.equals("/healthz")) {
            // Degraded still serves mounts; 503 tells a probe or a person, and the body why.
            // One read: the status and the body cannot disagree.
            String summary = health.summary();
            return Page.text(summary.equals("ok") ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    summary);
        }
        return new Page(HttpResponseStatus.OK, MounterMetrics.CONTENT_TYPE,
                metrics.scrape().getBytes(StandardCharsets.UTF_8), null);
    }
}

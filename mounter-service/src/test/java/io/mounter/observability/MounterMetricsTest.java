package io.mounter.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.Operation;
import io.mounter.protocol.MountState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

public class MounterMetricsTest {
    private static final long MICROS = 1_000;
    private static final long MILLIS = 1_000_000;

    private final AtomicInteger mountsHeld = new AtomicInteger();
    private volatile Map<MountState, Integer> mountStates = Map.of();
    private final Health health = new Health();
    private final MounterMetrics metrics = new MounterMetrics(mountsHeld::get, () -> mountStates, health);

    @Test
    void requestsAreCountedByOperationAndResultWithErrnoNames() {
        metrics.observe(Operation.MOUNT, 0, 300 * MICROS);
        metrics.observe(Operation.MOUNT, 0, 2 * MILLIS);
        metrics.observe(Operation.MOUNT, Errno.EPERM, 80 * MICROS);
        metrics.observe(Operation.UMOUNT, Errno.ENOENT, 80 * MICROS);
        metrics.malformed(Errno.EBADMSG, 10 * MICROS);

        String text = metrics.scrape();

        assertSample(text, "mounter_requests_total{op=\"MOUNT\",result=\"ok\",}", 2);
        assertSample(text, "mounter_requests_total{op=\"MOUNT\",result=\"EPERM\",}", 1);
        assertSample(text, "mounter_requests_total{op=\"UMOUNT\",result=\"ENOENT\",}", 1);
        assertSample(text, "mounter_requests_total{op=\"MALFORMED\",result=\"EBADMSG\",}", 1);
        assertTrue(text.contains("# TYPE mounter_requests_total counter\n"), text);
    }

    @Test
    void mountsAreCountedByStateAtEachScrape() {
        mountStates = Map.of(MountState.SERVING, 3, MountState.RECOVERING, 1, MountState.DEAD, 0);

        String text = metrics.scrape();

        assertSample(text, "mounter_mounts{state=\"serving\",}", 3);
        assertSample(text, "mounter_mounts{state=\"recovering\",}", 1);
        assertSample(text, "mounter_mounts{state=\"dead\",}", 0);
        mountStates = Map.of(MountState.SERVING, 4, MountState.RECOVERING, 0, MountState.DEAD, 0);
        assertSample(metrics.scrape(), "mounter_mounts{state=\"recovering\",}", 0);
    }

    @Test
    void theHistogramCountsEachRequestInEveryBucketFromItsOwnUp() {
        metrics.observe(Operation.MOUNT, 0, 300 * MICROS);
        metrics.observe(Operation.MOUNT, 0, 2 * MILLIS);
        metrics.observe(Operation.MOUNT, Errno.EPERM, 80 * MICROS);
        metrics.observe(Operation.RUN_MOUNT, 0, 12_000 * MILLIS);

        String text = metrics.scrape();

        String mount = "mounter_request_duration_seconds_bucket{op=\"MOUNT\",le=\"";
        assertSample(text, mount + "5.0E-5\",}", 0);
        assertSample(text, mount + "1.0E-4\",}", 1);
        assertSample(text, mount + "2.5E-4\",}", 1);
        assertSample(text, mount + "5.0E-4\",}", 2);
        assertSample(text, mount + "0.001\",}", 2);
        assertSample(text, mount + "0.0025\",}", 3);
        assertSample(text, mount + "10.0\",}", 3);
        assertSample(text, mount + "+Inf\",}", 3);
        assertSample(text, "mounter_request_duration_seconds_count{op=\"MOUNT\",}", 3);
        assertSample(text, "mounter_request_duration_seconds_sum{op=\"MOUNT\",}", 0.00238);
        // longer than the last bucket: only +Inf
        assertSample(text, "mounter_request_duration_seconds_bucket{op=\"RUN_MOUNT\",le=\"10.0\",}", 0);
        assertSample(text, "mounter_request_duration_seconds_bucket{op=\"RUN_MOUNT\",le=\"+Inf\",}", 1);
        assertTrue(text.contains("# TYPE mounter_request_duration_seconds histogram\n"), text);
    }

    @Test
    void theBucketsSpanFiftyMicrosecondsToTenSeconds() {
        double[] buckets = MounterMetrics.DURATION_BUCKETS;
        assertEquals(50e-6, buckets[0]);
        assertEquals(10, buckets[buckets.length - 1]);
        for (int i = 1; i < buckets.length; i++) {
            assertTrue(buckets[i] > buckets[i - 1] && buckets[i] <= buckets[i - 1] * 2.5, "bucket " + i);
        }
    }

    @Test
    void errnosOutsideTheCacheStillCount() {
        metrics.observe(Operation.MOUNT, 300, MICROS);
        metrics.observe(Operation.MOUNT, 300, MICROS);

        assertSample(metrics.scrape(), "mounter_requests_total{op=\"MOUNT\",result=\"errno_300\",}", 2);
    }

    @Test
    void everyOperationHasItsOwnLabel() {
        for (Operation operation : Operation.values()) {
            metrics.observe(operation, 0, MICROS);
        }
        String text = metrics.scrape();
        for (Operation operation : Operation.values()) {
            assertSample(text, "mounter_requests_total{op=\"" + operation.name() + "\",result=\"ok\",}", 1);
        }
    }

    @Test
    void stateIsReadAtScrapeTime() {
        String before = metrics.scrape();
        assertSample(before, "mounter_mounts_held", 0);
        assertSample(before, "mounter_healthy", 1);
        assertFalse(before.contains("mounter_starts_total"), "no start count until start-up reports one");

        mountsHeld.set(3);
        health.degrade("state", "disk full");
        metrics.started(7);
        metrics.staleMountCleaned("/var/lib/kubelet/pods/p/volumes/v", "daemon died");
        metrics.staleMountCleaned("/var/lib/kubelet/pods/p/volumes/w", "gone");

        String after = metrics.scrape();
        assertSample(after, "mounter_mounts_held", 3);
        assertSample(after, "mounter_healthy", 0);
        assertSample(after, "mounter_starts_total", 7);
        assertSample(after, "mounter_stale_mounts_cleaned_total", 2);
        assertTrue(after.contains("# TYPE mounter_starts_total counter\n"), after);
        assertTrue(after.contains("mounter_build_info{version=\""), after);
    }

    @Test
    void processBasicsComeFromProcSelf() {
        String text = metrics.scrape();
        for (String name : List.of("process_open_fds", "process_resident_memory_bytes", "process_threads",
                "process_cpu_seconds_total", "process_start_time_seconds")) {
            assertTrue(value(text, name) > 0, name + " in\n" + text);
        }
    }

    @Test
    void observingAllocatesNothingOnceEachKindWasSeen() {
        // observe() runs on the request path before each reply: no garbage per request
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        for (int i = 0; i < 1000; i++) {
            metrics.observe(Operation.MOUNT, i % 2 == 0 ? 0 : Errno.EPERM, i * MICROS);
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            metrics.observe(Operation.MOUNT, i % 2 == 0 ? 0 : Errno.EPERM, i * MICROS);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        // a label lookup per call would take megabytes; what is left is the JIT's own
        assertTrue(allocated < 100_000, allocated + " bytes allocated by 100000 observations");
    }

    @Test
    void noCreatedSeries() {
        metrics.observe(Operation.MOUNT, 0, MICROS);
        metrics.staleMountCleaned("/t", "gone");
        assertFalse(metrics.scrape().contains("_created"), metrics.scrape());
    }

    @Test
    void everyLineIsACommentOrASample() {
        metrics.observe(Operation.MOUNT, Errno.EACCES, MICROS);
        for (String line : metrics.scrape().split("\n")) {
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ")
                    || line.matches("[a-z_]+(\\{.*\\})? [-+0-9.E]+"), line);
        }
    }

    @Test
    void resultNamesOkAndErrnos() {
        assertEquals("ok", MounterMetrics.result(0));
        assertEquals("EPERM", MounterMetrics.result(Errno.EPERM));
        assertEquals("ETIMEDOUT", MounterMetrics.result(Errno.ETIMEDOUT));
    }

    public static void assertSample(String text, String series, double expected) {
        assertEquals(expected, value(text, series), 1e-9, series + " in\n" + text);
    }

    /** The value of the sample line that starts with {@code series} and a space. */
    static double value(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no sample " + series + " in\n" + text);
    }
}

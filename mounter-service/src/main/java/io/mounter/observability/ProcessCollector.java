package io.mounter.observability;

import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The usual process_* metrics, read from /proc/self at scrape time (a few small reads),
 * under the names Prometheus client libraries use. Not the simpleclient_hotspot exports:
 * those need java.management, which the image's runtime leaves out. A value that cannot
 * be read is left out, never reported as 0.
 */
final class ProcessCollector extends Collector {
    private static final Path PROC_SELF = Path.of("/proc/self");
    private static final double NANOS_PER_SECOND = 1e9;

    @Override
    public List<MetricFamilySamples> collect() {
        List<MetricFamilySamples> families = new ArrayList<>();
        ProcessHandle.Info info = ProcessHandle.current().info();
        info.totalCpuDuration().ifPresent(cpu -> families.add(new CounterMetricFamily("process_cpu_seconds_total",
                "User and system CPU time spent, in seconds.", seconds(cpu))));
        info.startInstant().ifPresent(start -> families.add(new GaugeMetricFamily("process_start_time_seconds",
                "Start time of the process since the Unix epoch, in seconds.", seconds(start))));
        long fds = openDescriptors();
        if (fds >= 0) {
            families.add(new GaugeMetricFamily("process_open_fds", "Open file descriptors.", fds));
        }
        List<String> status = lines(PROC_SELF.resolve("status"));
        long rss = statusField(status, "VmRSS:");
        if (rss >= 0) {
            families.add(new GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                    rss * 1024));
        }
        long virtual = statusField(status, "VmSize:");
        if (virtual >= 0) {
            families.add(new GaugeMetricFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                    virtual * 1024));
        }
        long threads = statusField(status, "Threads:");
        if (threads >= 0) {
            families.add(new GaugeMetricFamily("process_threads", "Threads of the process.", threads));
        }
        return families;
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / NANOS_PER_SECOND;
    }

    private static double seconds(Instant instant) {
        return instant.getEpochSecond() + instant.getNano() / NANOS_PER_SECOND;
    }

    private static long openDescriptors() {
        long count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC_SELF.resolve("fd"))) {
            for (Path ignored : fds) {
                count++;
            }
        } catch (IOException e) {
            return -1;
        }
        return count - 1; // the directory stream's own descriptor
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The first number after {@code key} ("VmRSS:   51200 kB" gives 51200), or -1. */
    static long statusField(List<String> status, String key) {
        for (String line : status) {
            if (line.startsWith(key)) {
                String[] words = line.substring(key.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(words[0]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}

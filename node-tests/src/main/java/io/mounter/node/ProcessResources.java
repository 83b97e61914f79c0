package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What a process holds at one moment: resident memory (VmRSS), open descriptors
 * (/proc/PID/fd) and threads (/proc/PID/task). For leak checks of mounterd under abuse
 * and load.
 */
public record ProcessResources(long rssKib, int descriptors, int threads) {

    /** Reads them now; throws IllegalStateException if the process is gone. */
    public static ProcessResources of(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            long rss = -1;
            for (String line : Files.readAllLines(dir.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return new ProcessResources(rss, count(dir.resolve("fd")), count(dir.resolve("task")));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the resources of pid " + pid + ": " + e, e);
        }
    }

    private static int count(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return (int) entries.count();
        }
    }

    /**
     * Samples until {@code settled} holds or {@code timeout} passes (descriptors of a closed
     * connection go when the worker sees the hang-up), and returns the last sample.
     */
    public static ProcessResources settle(long pid, Predicate<ProcessResources> settled, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ProcessResources now = of(pid);
        while (!settled.test(now) && System.nanoTime() - deadline < 0) {
            Processes.sleep(Duration.ofMillis(50));
            now = of(pid);
        }
        return now;
    }

    public double rssMib() {
        return rssKib / 1024.0;
    }

    @Override
    public String toString() {
        return String.format("rss %.1f MiB, %d fds, %d threads", rssMib(), descriptors, threads);
    }
}

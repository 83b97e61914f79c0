package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What a process holds at one moment: resident memory (VmRSS), open descriptors
 * (/proc/PID/fd) and threads (/proc/PID/task). For leak checks of mounterd under abuse
 * and load.
 *
 * <p>{@code threads} leaves out the JIT compiler's threads ({@code jitThreads}): HotSpot
 * starts more of them while its compile queue is long and retires them later
 * (UseDynamicNumberOfCompilerThreads), so under a fresh load they grow by a few for
 * reasons that are not mounterd's.
 */
public record ProcessResources(long rssKib, int descriptors, int threads, int jitThreads) {

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
            int jit = jitThreads(dir.resolve("task"));
            return new ProcessResources(rss, count(dir.resolve("fd")), count(dir.resolve("task")) - jit, jit);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the resources of pid " + pid + ": " + e, e);
        }
    }

    /** Threads named "C1 CompilerThreadN" or "C2 CompilerThreadN" (comm keeps 15 bytes). */
    private static int jitThreads(Path tasks) throws IOException {
        int jit = 0;
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                try {
                    String name = Files.readString(thread.resolve("comm"));
                    if (name.matches("C[12] CompilerThre.*\\s*")) {
                        jit++;
                    }
                } catch (NoSuchFileException ended) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return jit;
    }

    /**
     * The process's threads by name with digits left out ("conn-worker-3" counts as
     * "conn-worker-"), for telling which kind grew; empty if the process is gone.
     */
    public static SortedMap<String, Integer> threadKinds(long pid) {
        SortedMap<String, Integer> kinds = new TreeMap<>();
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                try {
                    kinds.merge(Files.readString(thread.resolve("comm")).strip().replaceAll("[0-9]", ""), 1, Integer::sum);
                } catch (NoSuchFileException ended) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException e) {
            return kinds;
        }
        return kinds;
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
        return String.format("rss %.1f MiB, %d fds, %d threads (+%d JIT)", rssMib(), descriptors, threads, jitThreads);
    }
}

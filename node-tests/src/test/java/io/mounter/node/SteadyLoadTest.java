package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * mounterd under a steady load for minutes (docs/testing.md): tmpfs mount+umount pairs at
 * {@code -Dmounter.load.rate} pairs a second (default 200) from four client threads, each
 * request on a connection of its own as the shim makes them, for
 * {@code -Dmounter.load.seconds} (default 300). Every few seconds mounterd's resident
 * memory, open descriptors and threads are sampled and printed. Every request must be
 * answered; after a warm-up, resident memory may grow by less than 5% (median of the first
 * three samples against the last three, so one garbage collection does not decide), and
 * descriptors and threads stay flat. The thread and kind counts are printed, idle and after,
 * so a growth names its kind.
 */
class SteadyLoadTest extends OnMounterNode {
    private static final int SECONDS = Integer.getInteger("mounter.load.seconds", 300);
    private static final int RATE = Integer.getInteger("mounter.load.rate", 200);
    private static final int CLIENTS = 4;
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
    private static final double MAX_RSS_GROWTH = 0.05;
    /** mounterd's --max-connections default. */
    private static final int MOUNTERD_WORKERS = 16;
    /** Service threads the JVM may start on first need (seen: up to 3 in a CI run). */
    private static final int LAZY_JVM_THREADS = 4;

    private final AtomicLong pairs = new AtomicLong();
    private final AtomicLong eagain = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final ConcurrentHashMap<Integer, Long> statuses = new ConcurrentHashMap<>();

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "tmpfs");
    }

    record Sample(double atSeconds, ProcessResources resources) {
    }

    @Test
    void memoryDescriptorsAndThreadsStayFlatAndEveryRequestIsAnswered() throws InterruptedException {
        long pid = node.mounterd().pid();
        int warmUpSeconds = Math.min(60, SECONDS / 3);
        ProcessResources idle = ProcessResources.of(pid);
        System.out.println("SteadyLoadTest: threads idle " + ProcessResources.threadKinds(pid));
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(SECONDS).toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Path target = node.node().newVolumeDir("load-" + i);
            long offset = i * 1_000_000_000L / RATE;
            Thread client = new Thread(() -> run(target, start + offset, end), "load-" + i);
            client.start();
            clients.add(client);
        }
        List<Sample> samples = new ArrayList<>();
        while (System.nanoTime() < end) {
            LockSupport.parkNanos(SAMPLE_EVERY.toNanos());
            Sample sample = new Sample((System.nanoTime() - start) / 1e9, ProcessResources.of(pid));
            samples.add(sample);
            System.out.printf("SteadyLoadTest: t=%5.1fs %s, %d pairs%n", sample.atSeconds(), sample.resources(),
                    pairs.get());
        }
        for (Thread client : clients) {
            client.join();
        }
        System.out.println("SteadyLoadTest: threads after the load " + ProcessResources.threadKinds(pid));
        double elapsed = (System.nanoTime() - start) / 1e9;
        ProcessResources after = ProcessResources.settle(pid,
                r -> r.descriptors() <= idle.descriptors(), Duration.ofSeconds(10));
        System.out.printf("SteadyLoadTest: %d pairs in %.0f s (%.1f/s, aim %d/s), %d EAGAIN retried, statuses %s;"
                + " idle before %s, after %s%n", pairs.get(), elapsed, pairs.get() / elapsed, RATE, eagain.get(),
                statuses, idle, after);

        assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())), "requests not answered with success");
        assertTrue(pairs.get() >= 0.9 * RATE * SECONDS, "the load fell short of its rate: " + pairs.get() + " pairs");
        List<Sample> steady = samples.stream().filter(s -> s.atSeconds() >= warmUpSeconds).toList();
        assertTrue(steady.size() >= 6, "too few samples after the warm-up: " + steady.size());
        double first = medianRss(steady.subList(0, 3));
        double last = medianRss(steady.subList(steady.size() - 3, steady.size()));
        System.out.printf("SteadyLoadTest: RSS after warm-up %.1f MiB, at the end %.1f MiB (%+.1f%%)%n",
                first / 1024, last / 1024, 100 * (last - first) / first);
        assertTrue(last < first * (1 + MAX_RSS_GROWTH), String.format("RSS grew from %.0f to %.0f KiB", first, last));
        // the JVM starts a few service threads of its own on first need (a reference reaper,
        // a cleaner), maybe only once the load runs; a thread per request would pass this
        // bound in a moment, and after the warm-up the count stays where it is
        int steadyThreads = steady.get(0).resources().threads();
        assertTrue(steadyThreads <= idle.threads() + LAZY_JVM_THREADS,
                "threads after the warm-up: " + steady.get(0) + " against " + idle + " idle");
        for (Sample sample : steady) {
            // each of mounterd's workers holds at most a connection and, for a moment, the
            // target's O_PATH; a leak of one per request would pass this bound in a second
            assertTrue(sample.resources().descriptors() <= idle.descriptors() + 2 * MOUNTERD_WORKERS,
                    "descriptors at " + sample + " against " + idle + " idle");
            assertTrue(sample.resources().threads() <= steadyThreads,
                    "threads at " + sample + " against " + steadyThreads + " after the warm-up");
        }
        assertTrue(after.descriptors() <= idle.descriptors(), "descriptors after the load: " + after + " against " + idle);
        assertTrue(after.threads() <= steadyThreads, "threads after the load: " + after + " against " + steadyThreads
                + " after the warm-up");
    }

    /** Pairs on {@code target} at RATE / CLIENTS a second from {@code firstAt} until {@code end}. */
    private void run(Path target, long firstAt, long end) {
        long interval = CLIENTS * 1_000_000_000L / RATE;
        int id = 0;
        for (long next = firstAt; next < end; next += interval) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            try {
                if (call(new Request.Mount(++id, "tmpfs", target.toString(), "tmpfs", 0, "size=1m", -1))
                        && call(new Request.Umount(++id, target.toString(), 0))) {
                    pairs.incrementAndGet();
                }
            } catch (RuntimeException e) {
                failures.add(target + ": " + e);
            }
        }
    }

    /** One request on a connection of its own, repeated while mounterd sheds load with EAGAIN. */
    private boolean call(Request request) {
        while (true) {
            Reply reply;
            try (MounterClient client = node.mounterd().client()) {
                reply = client.call(request, -1);
            }
            statuses.merge(reply.status(), 1L, Long::sum);
            if (reply.status() == 0) {
                return true;
            }
            if (reply.status() != Errno.EAGAIN) {
                failures.add(request + ": " + reply.status() + " " + reply.message());
                return false;
            }
            eagain.incrementAndGet();
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static double medianRss(List<Sample> samples) {
        return samples.stream().mapToLong(s -> s.resources().rssKib()).sorted().toArray()[samples.size() / 2];
    }
}

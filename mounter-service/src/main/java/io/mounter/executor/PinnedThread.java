package io.mounter.executor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One thread of the executor: created by a thread that is not pinned, it pins itself in the
 * host namespace, loses the power to create threads and processes, warms up, and then runs
 * jobs from the shared queue until it takes a stop. Never handed out: the rest of mounterd
 * reaches it only through {@link PinnedExecutor#execute}.
 */
final class PinnedThread {
    /** Taken from the queue, ends one thread. Never run, never awaited. */
    static final Job<Void> STOP = new Job<>(null);

    private final Thread thread;

    private PinnedThread(String name, Runnable body) {
        thread = new Thread(body, name);
        thread.setDaemon(true);
    }

    /**
     * Starts a thread that pins itself in {@code namespaceFd}'s namespace, warms up, counts
     * {@code ready} down (with {@code failure} set if that failed, after which it ends) and
     * then serves {@code jobs}. {@code stopped} runs on it once it has taken its stop.
     */
    static PinnedThread start(String name, int namespaceFd, CommandQueue jobs, CountDownLatch ready,
                              AtomicReference<RuntimeException> failure, Runnable stopped) {
        PinnedThread pinned = new PinnedThread(name, () -> {
            HostOperations host = new HostOperations();
            try {
                NamespacePinning.pinCurrentThread(namespaceFd);
                host.warmUp();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                return;
            } finally {
                ready.countDown();
            }
            serve(jobs, host);
            stopped.run();
        });
        pinned.thread.start();
        return pinned;
    }

    private static void serve(CommandQueue jobs, HostOperations host) {
        while (true) {
            Job<?> job = jobs.take();
            if (job == STOP) {
                return;
            }
            job.run(host);
        }
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }
}

package io.mounter.executor;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The jobs waiting for a pinned thread, and the pinned threads waiting for a job.
 *
 * <p>A job wakes the thread that went idle last: its caches, and the CPU it last ran on,
 * are the warmest. A LinkedBlockingQueue wakes the one that waited longest instead, going
 * round all of them; on a two-core VM that made every forwarded mount+umount pair about a
 * quarter slower (docs/benchmarks.md). Nobody spins: a spinning thread took CPU time the
 * request's other threads needed, and every variant measured slower.
 */
final class CommandQueue {
    private final ConcurrentLinkedQueue<Job<?>> jobs = new ConcurrentLinkedQueue<>();
    /** Pinned threads parked in {@link #take}, the most recently idle first. */
    private final ConcurrentLinkedDeque<Thread> idle = new ConcurrentLinkedDeque<>();

    /** Queues {@code job} and wakes an idle pinned thread, if one is parked. */
    void put(Job<?> job) {
        jobs.add(job);
        Thread sleeper = idle.pollFirst();
        if (sleeper != null) {
            LockSupport.unpark(sleeper);
        }
    }

    /** Takes the next job, waiting for one; for the pinned threads only. */
    Job<?> take() {
        Thread self = Thread.currentThread();
        while (true) {
            Job<?> job = jobs.poll();
            if (job != null) {
                return job;
            }
            idle.addFirst(self);
            // a put between the poll and addFirst found nobody to wake: look once more
            job = jobs.poll();
            if (job != null) {
                idle.remove(self);
                return job;
            }
            LockSupport.park(this);
            idle.remove(self); // gone already when a put woke it; there still after a spurious wake-up
        }
    }

    /** Takes a job back that no thread has taken yet; false if one has. */
    boolean withdraw(Job<?> job) {
        return jobs.remove(job);
    }

    /** Takes every job left, for a closing executor to fail. */
    Job<?> poll() {
        return jobs.poll();
    }
}

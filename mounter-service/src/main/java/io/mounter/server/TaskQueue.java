package io.mounter.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Tasks handed to threads that run them: the part {@link HostThreads} and
 * {@link PinnedThread} share. The threads are theirs; this only queues and waits.
 */
final class TaskQueue {
    private static final FutureTask<Void> STOP = new FutureTask<>(() -> null);

    private final BlockingQueue<FutureTask<?>> tasks = new LinkedBlockingQueue<>();

    /** Runs queued tasks on the calling thread until a stop is taken or it is interrupted. */
    void runUntilStopped() {
        while (true) {
            FutureTask<?> task;
            try {
                task = tasks.take();
            } catch (InterruptedException e) {
                return;
            }
            if (task == STOP) {
                return;
            }
            task.run();
        }
    }

    /**
     * Queues {@code task} and waits for it. Unchecked exceptions of the task are rethrown as
     * they are, checked ones wrapped in IllegalStateException.
     */
    <T> T call(Callable<T> task, String runner) {
        FutureTask<T> future = new FutureTask<>(task);
        tasks.add(future);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + runner, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Lets {@code threads} runners end after the tasks already queued. */
    void stop(int threads) {
        for (int i = 0; i < threads; i++) {
            tasks.add(STOP);
        }
    }
}

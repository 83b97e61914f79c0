package io.mounter.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fixed set of threads in mounterd's own namespaces (the mount container's), for work a
 * thread pinned in the host namespace must not do: start processes (a child would be born
 * in the host namespace) and read the container's /proc. All threads are created at start
 * by the main thread, so no submit from a pinned thread ever creates one; that is why this
 * is not a ThreadPoolExecutor, which may add a worker from the submitting thread.
 */
public final class HostThreads implements AutoCloseable {
    private static final FutureTask<Void> STOP = new FutureTask<>(() -> null);

    private final BlockingQueue<FutureTask<?>> tasks = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private HostThreads() {
    }

    /** Starts {@code count} threads; call from a thread that is not pinned. */
    public static HostThreads start(int count) {
        HostThreads pool = new HostThreads();
        for (int i = 0; i < count; i++) {
            Thread thread = new Thread(pool::runTasks, "host-" + i);
            thread.setDaemon(true);
            thread.start();
            pool.threads.add(thread);
        }
        return pool;
    }

    private void runTasks() {
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
     * Runs {@code task} on one of these threads and waits for it. Unchecked exceptions of
     * the task are rethrown as they are, checked ones wrapped.
     */
    public <T> T call(Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        tasks.add(future);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a host thread", e);
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

    @Override
    public void close() {
        threads.forEach(thread -> tasks.add(STOP));
    }
}

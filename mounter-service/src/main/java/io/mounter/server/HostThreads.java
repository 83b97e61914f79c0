package io.mounter.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A fixed set of threads in mounterd's own namespaces (the mount container's), for work a
 * thread pinned in the host namespace must not do: start processes (a child would be born
 * in the host namespace) and read the container's /proc. All threads are created at start
 * by the main thread, so no submit from a pinned thread ever creates one; that is why this
 * is not a ThreadPoolExecutor, which may add a worker from the submitting thread.
 */
public final class HostThreads implements AutoCloseable {
    private final TaskQueue tasks = new TaskQueue();
    private final List<Thread> threads = new ArrayList<>();

    private HostThreads() {
    }

    /** Starts {@code count} threads; call from a thread that is not pinned. */
    public static HostThreads start(int count) {
        HostThreads pool = new HostThreads();
        for (int i = 0; i < count; i++) {
            Thread thread = new Thread(pool.tasks::runUntilStopped, "host-" + i);
            thread.setDaemon(true);
            thread.start();
            pool.threads.add(thread);
        }
        return pool;
    }

    /**
     * Runs {@code task} on one of these threads and waits for it. Unchecked exceptions of
     * the task are rethrown as they are, checked ones wrapped.
     */
    public <T> T call(Callable<T> task) {
        return tasks.call(task, "a host thread");
    }

    @Override
    public void close() {
        tasks.stop(threads.size());
    }
}

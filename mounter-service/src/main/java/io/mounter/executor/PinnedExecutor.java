package io.mounter.executor;

import io.mounter.linux.Syscalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A few threads pinned in the host mount namespace that run {@link HostCommand}s for the
 * rest of mounterd, whose threads all stay in the mount container's namespace. Threads
 * named {@code host-ns-N} are these; no other thread of mounterd is in the host's
 * namespace. Not a ThreadPoolExecutor, which may add a worker from a submitting thread: all
 * of these are made by the thread that calls {@link #start}, and none is ever replaced.
 */
public final class PinnedExecutor implements MountExecutor, AutoCloseable {
    private static final long STOP_WAIT_MILLIS = 500;

    private final CommandQueue jobs = new CommandQueue();
    private final List<PinnedThread> threads = new ArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closed;

    private PinnedExecutor() {
    }

    /**
     * Opens the namespace at {@code namespacePath} and starts {@code threadCount} threads
     * pinned there; returns once every one is pinned and warmed up. Call from a thread that
     * is not pinned (the main thread).
     *
     * @throws io.mounter.linux.SyscallException if the namespace cannot be opened or
     *     entered (no thread is left running then)
     */
    public static PinnedExecutor start(String namespacePath, int threadCount) {
        if (NamespacePinning.isCurrentThreadPinned()) {
            throw new IllegalStateException("a pinned thread may not start others");
        }
        NamespacePinning.openClassPath();
        int namespaceFd = NamespacePinning.openNamespace(namespacePath);
        PinnedExecutor executor = new PinnedExecutor();
        CountDownLatch ready = new CountDownLatch(threadCount);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try {
            executor.running.set(threadCount);
            for (int i = 0; i < threadCount; i++) {
                executor.threads.add(PinnedThread.start("host-ns-" + i, namespaceFd, executor.jobs, ready, failure,
                        executor::threadStopped));
            }
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new IllegalStateException("interrupted while the executor started", e));
        } finally {
            // each thread holds the namespace now (or failed); the descriptor is no longer needed
            Syscalls.close(namespaceFd);
        }
        if (failure.get() != null) {
            executor.close();
            throw failure.get();
        }
        return executor;
    }

    @Override
    public <R> R execute(HostCommand<R> command) {
        if (closed) {
            throw new IllegalStateException("the mount executor is closed");
        }
        Job<R> job = new Job<>(command);
        jobs.put(job);
        // closed meanwhile, and no thread will take it any more: take it back
        if (closed && jobs.withdraw(job)) {
            throw new IllegalStateException("the mount executor is closed");
        }
        return job.await();
    }

    @Override
    public <R> R executeIn(String namespacePath, NamespaceCommand<R> command) {
        if (closed) {
            throw new IllegalStateException("the mount executor is closed");
        }
        return NamespaceVisit.run(namespacePath, command);
    }

    /** The last thread to stop fails what is still queued, so that no caller waits for ever. */
    private void threadStopped() {
        if (running.decrementAndGet() == 0) {
            Job<?> left;
            while ((left = jobs.poll()) != null) {
                if (left != PinnedThread.STOP) {
                    left.fail(new IllegalStateException("the mount executor is closed"));
                }
            }
        }
    }

    /**
     * Lets each thread end after the commands queued before this call, waiting at most half
     * a second for each.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < threads.size(); i++) {
            jobs.put(PinnedThread.STOP);
        }
        try {
            for (PinnedThread thread : threads) {
                thread.join(STOP_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

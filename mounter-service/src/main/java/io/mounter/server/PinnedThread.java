package io.mounter.server;

import io.mounter.linux.NamespacePinning;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One thread pinned in the host mount namespace that runs tasks handed to it, for host-side
 * work that is no connection's: opening the host's mountinfo, detaching a mount whose FUSE
 * daemon died. Like {@link HostThreads}, and for the same reason not an executor: the thread
 * is created once, at start, by a thread that is not pinned (a replacement born from a
 * pinned thread would inherit the namespace, see {@link NamespacePinning}). Tasks must keep
 * the pinned thread's rules: no threads, no processes, no paths of mounterd's own view.
 */
public final class PinnedThread implements AutoCloseable {
    private static final FutureTask<Void> STOP = new FutureTask<>(() -> null);

    private final BlockingQueue<FutureTask<?>> tasks = new LinkedBlockingQueue<>();
    private final Thread thread;

    private PinnedThread(String name, int namespaceFd, Runnable warmUp, CountDownLatch ready,
                         AtomicReference<RuntimeException> failure) {
        thread = new Thread(() -> {
            try {
                NamespacePinning.pinCurrentThread(namespaceFd);
                warmUp.run();
            } catch (RuntimeException e) {
                failure.set(e);
                return;
            } finally {
                ready.countDown();
            }
            runTasks();
        }, name);
        thread.setDaemon(true);
    }

    /**
     * Starts the thread, pins it in the namespace {@code namespaceFd} names and runs
     * {@code warmUp} there (so no class loading happens later, mid-task). Call from a thread
     * that is not pinned.
     *
     * @throws RuntimeException what pinning or the warm-up threw; no thread is left running
     */
    public static PinnedThread start(String name, int namespaceFd, Runnable warmUp) {
        if (NamespacePinning.isCurrentThreadPinned()) {
            throw new IllegalStateException("a pinned thread may not start another");
        }
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        PinnedThread pinned = new PinnedThread(name, namespaceFd, warmUp, ready, failure);
        pinned.thread.start();
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pinned.close();
            throw new IllegalStateException("interrupted while " + name + " started", e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return pinned;
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
     * Runs {@code task} on the pinned thread and waits for it. Unchecked exceptions of the
     * task are rethrown as they are, checked ones wrapped in IllegalStateException.
     */
    public <T> T call(Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        tasks.add(future);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + thread.getName(), e);
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

    /** Lets the thread end after the tasks already queued. */
    @Override
    public void close() {
        tasks.add(STOP);
    }
}

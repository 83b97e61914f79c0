package io.mounter.server;

import io.mounter.linux.NamespacePinning;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
    private final TaskQueue tasks = new TaskQueue();
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
            tasks.runUntilStopped();
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

    /**
     * Runs {@code task} on the pinned thread and waits for it. Unchecked exceptions of the
     * task are rethrown as they are, checked ones wrapped in IllegalStateException.
     */
    public <T> T call(Callable<T> task) {
        return tasks.call(task, thread.getName());
    }

    /** Lets the thread end after the tasks already queued. */
    @Override
    public void close() {
        tasks.stop(1);
    }
}

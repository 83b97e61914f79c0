package io.mounter.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A few platform threads that live in another mount namespace and run short tasks there.
 *
 * <p>Why this shape (FINDINGS.md): setns(CLONE_NEWNS) fails with EINVAL on a thread that
 * shares its fs attributes, so each thread first unshares CLONE_FS. A pinned thread hands
 * its namespace to any thread or process it creates, and cannot setns again while a child
 * lives; so these threads are created only from host threads, are never part of a
 * ThreadPoolExecutor (a replacement worker would be born inside), and only run tasks made
 * of syscalls that are already bound. They never load classes from a jar by path either,
 * since the path would resolve in the other namespace: {@link #start} warms them up.
 */
public final class PinnedNamespaceThreads implements AutoCloseable {
    private static final FutureTask<Void> STOP = new FutureTask<>(() -> null);

    private final BlockingQueue<FutureTask<?>> tasks = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private PinnedNamespaceThreads() {
    }

    /**
     * Starts {@code count} threads in the mount namespace at {@code namespacePath}.
     *
     * @throws SyscallException if the namespace cannot be opened or entered
     */
    public static PinnedNamespaceThreads start(String namespacePath, int count, Runnable warmUp) {
        PinnedNamespaceThreads pool = new PinnedNamespaceThreads();
        int nsFd = Syscalls.open(namespacePath, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        try {
            for (int i = 0; i < count; i++) {
                pool.startThread(nsFd, "host-ns-" + i);
            }
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        } finally {
            Syscalls.close(nsFd);
        }
        for (int i = 0; i < count; i++) {
            pool.call(() -> {
                warmUp.run();
                return null;
            });
        }
        return pool;
    }

    private void startThread(int nsFd, String name) {
        CountDownLatch entered = new CountDownLatch(1);
        RuntimeException[] failure = new RuntimeException[1];
        Thread thread = new Thread(() -> {
            try {
                Syscalls.unshare(Syscalls.CLONE_FS);
                Syscalls.setns(nsFd, Syscalls.CLONE_NEWNS);
            } catch (RuntimeException e) {
                failure[0] = e;
                return;
            } finally {
                entered.countDown();
            }
            runTasks();
        }, name);
        thread.setDaemon(true);
        thread.start();
        awaitUninterruptibly(entered);
        if (failure[0] != null) {
            throw failure[0];
        }
        threads.add(thread);
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
     * Runs {@code task} on one of the pinned threads and waits for it. An exception thrown
     * by the task is rethrown as it was (unchecked ones) or wrapped (checked ones).
     */
    public <T> T call(Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        tasks.add(future);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a namespace task ran", e);
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
        for (int i = 0; i < threads.size(); i++) {
            tasks.add(STOP);
        }
        for (Thread thread : threads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}

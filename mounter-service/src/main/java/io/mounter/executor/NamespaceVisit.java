package io.mounter.executor;

import io.mounter.linux.Syscalls;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One {@link NamespaceCommand} on a thread of its own that joins another mount namespace,
 * loses the power to create threads and processes (as the host namespace's threads do),
 * runs the command and ends. A thread per visit: a thread can join a namespace but never
 * leave it, and visits are rare (a repair after a FUSE daemon died).
 */
final class NamespaceVisit {
    /**
     * How long a caller waits. A path in a pod's namespace may cross a FUSE mount whose
     * daemon never answers: the visiting thread then hangs there, and is left to it.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private NamespaceVisit() {
    }

    static <R> R run(String namespacePath, NamespaceCommand<R> command) {
        if (NamespacePinning.isCurrentThreadPinned()) {
            throw new IllegalStateException("a pinned thread may not start others");
        }
        int namespaceFd = NamespacePinning.openNamespace(namespacePath);
        // mounterd's own procfs, for /proc/thread-self once the thread is elsewhere
        int procFd = Syscalls.open("/proc", Syscalls.O_PATH | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC);
        AtomicReference<R> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread visitor = new Thread(() -> {
            try {
                NamespacePinning.pinCurrentThread(namespaceFd);
                result.set(command.runIn(new ForeignOperations(procFd)));
            } catch (RuntimeException | Error e) {
                failure.set(e);
            }
        }, "ns-visit");
        visitor.setDaemon(true);
        try {
            visitor.start();
            visitor.join(TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while visiting " + namespacePath, e);
        } finally {
            if (!visitor.isAlive()) {
                Syscalls.close(namespaceFd);
                Syscalls.close(procFd);
            } // else the hung thread may still use them
        }
        if (visitor.isAlive()) {
            throw new IllegalStateException("no answer within " + TIMEOUT + " in " + namespacePath);
        }
        if (failure.get() instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure.get() instanceof Error error) {
            throw error;
        }
        return result.get();
    }
}

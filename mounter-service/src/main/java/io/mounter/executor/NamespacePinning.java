package io.mounter.executor;

import io.mounter.linux.Abi;
import io.mounter.linux.SeccompFilter;
import io.mounter.linux.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Enumeration;

/**
 * Moves the calling platform thread, and only it, into another mount namespace for good,
 * and takes from it the power to create threads and processes.
 *
 * <p>Why this shape (docs/kernel-notes.md): setns(CLONE_NEWNS) fails with EINVAL on a thread
 * that shares its fs attributes with others, so the thread first unshares CLONE_FS. A
 * pinned thread hands its namespace to any thread or process it creates (a ForkJoin worker
 * born there would run unrelated tasks in the host's namespace), and cannot setns again
 * while such a child lives. So a seccomp filter on the thread alone refuses clone, clone3,
 * fork, vfork and execve(at) with EPERM: the rule is kept by the kernel, not by comments.
 * The thread must also open no file by a path of mounterd's own view: paths now resolve in
 * the other namespace. Class loading is the hidden case: {@link #openClassPath()} opens
 * every jar beforehand, and a warm-up loads every class a command needs.
 */
final class NamespacePinning {
    private static final ThreadLocal<Boolean> PINNED = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private NamespacePinning() {
    }

    /**
     * Opens the namespace at {@code path} for {@link #pinCurrentThread(int)}.
     *
     * @throws io.mounter.linux.SyscallException if it cannot be opened
     */
    static int openNamespace(String path) {
        return Syscalls.open(path, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
    }

    /**
     * Pins the calling thread in the mount namespace {@code namespaceFd} refers to, then
     * forbids it new threads and processes.
     *
     * @throws io.mounter.linux.SyscallException if unshare, setns or the filter fails; the
     *     thread must then end, as it may be half changed
     * @throws IllegalStateException if the thread is already pinned
     */
    static void pinCurrentThread(int namespaceFd) {
        if (isCurrentThreadPinned()) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is already pinned");
        }
        Syscalls.unshare(Syscalls.CLONE_FS);
        Syscalls.setns(namespaceFd, Syscalls.CLONE_NEWNS);
        Syscalls.seccompThread(SeccompFilter.denyNewThreadsAndProcesses(Abi.current()));
        PINNED.set(Boolean.TRUE);
    }

    static boolean isCurrentThreadPinned() {
        return PINNED.get();
    }

    /** Guards code that must run in the other namespace. */
    static void requirePinned(String what) {
        if (!isCurrentThreadPinned()) {
            throw new IllegalStateException(what + " must run on a thread pinned in the host mount namespace, not on "
                    + Thread.currentThread().getName());
        }
    }

    /**
     * Opens every jar of the class path now, from a thread that is not pinned: the JDK
     * opens a jar by path on the first lookup that reaches it, and from a pinned thread that
     * path would resolve in the other namespace and fail.
     */
    static void openClassPath() {
        try {
            Enumeration<URL> manifests = ClassLoader.getSystemClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                manifests.nextElement();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the class path", e);
        }
    }
}

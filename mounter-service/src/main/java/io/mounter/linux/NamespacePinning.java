package io.mounter.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Enumeration;

/**
 * Moves the calling platform thread, and only it, into another mount namespace for good.
 *
 * <p>Why this shape (FINDINGS.md): setns(CLONE_NEWNS) fails with EINVAL on a thread that
 * shares its fs attributes with others, so the thread first unshares CLONE_FS. A pinned
 * thread hands its namespace to any thread or process it creates, and cannot setns again
 * while such a child lives. Hence the rules for a pinned thread, which every caller must
 * keep: create it only from a thread that is not pinned; never let it start a thread or
 * process (no ProcessBuilder, no executor, no CompletableFuture.*Async, no parallel
 * streams: a ForkJoin worker born there would run unrelated tasks in the wrong namespace);
 * never make it part of a ThreadPoolExecutor (a replacement worker would be born inside);
 * and let it load no native library and open no file by path that belongs to this
 * process's own view, since paths now resolve in the other namespace. Class loading is the
 * hidden case of the last rule: {@link #openClassPath()} opens every jar beforehand, so
 * later class loads read from descriptors, not paths.
 */
public final class NamespacePinning {
    private static final ThreadLocal<Boolean> PINNED = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private NamespacePinning() {
    }

    /**
     * Opens the namespace at {@code path} for {@link #pinCurrentThread(int)}.
     *
     * @throws SyscallException if it cannot be opened
     */
    public static int openNamespace(String path) {
        return Syscalls.open(path, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
    }

    /**
     * Pins the calling thread in the mount namespace {@code namespaceFd} refers to.
     *
     * @throws SyscallException if unshare or setns fails (the thread is then unchanged, or
     *     has only its own fs attributes, which is harmless)
     * @throws IllegalStateException if the thread is already pinned
     */
    public static void pinCurrentThread(int namespaceFd) {
        if (isCurrentThreadPinned()) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is already pinned");
        }
        Syscalls.unshare(Syscalls.CLONE_FS);
        Syscalls.setns(namespaceFd, Syscalls.CLONE_NEWNS);
        PINNED.set(Boolean.TRUE);
    }

    public static boolean isCurrentThreadPinned() {
        return PINNED.get();
    }

    /** Guards code that must run in the other namespace. */
    public static void requirePinned(String what) {
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
    public static void openClassPath() {
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

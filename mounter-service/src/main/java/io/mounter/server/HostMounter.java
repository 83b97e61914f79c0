package io.mounter.server;

import static io.mounter.linux.Syscalls.O_CLOEXEC;
import static io.mounter.linux.Syscalls.O_DIRECTORY;
import static io.mounter.linux.Syscalls.O_PATH;
import static io.mounter.linux.Syscalls.RESOLVE_BENEATH;
import static io.mounter.linux.Syscalls.RESOLVE_NO_MAGICLINKS;
import static io.mounter.linux.Syscalls.RESOLVE_NO_SYMLINKS;

import io.mounter.linux.Errno;
import io.mounter.linux.PinnedNamespaceThreads;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.Refusal;

/**
 * Mounts in the host mount namespace from threads pinned there.
 *
 * <p>Threat: the target path lives in a tree the mount container can write (kubelet's pod
 * directories). If it were resolved and then mounted by name, a process could swap a
 * component for a symlink in between and have the mount land anywhere on the host
 * (CVE-2017-1002101, CVE-2021-30465). So the prefix and then the rest beneath it are
 * opened with openat2(RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, and RESOLVE_BENEATH for
 * the rest), held as O_PATH, and the mount goes onto that very descriptor through
 * /proc/thread-self/fd/N; the thread's own view, since /proc/self names the leader.
 */
public final class HostMounter implements Mounter, AutoCloseable {
    private static final int AT_FDCWD = -100;
    private static final int NO_LINKS = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

    private final PinnedNamespaceThreads hostThreads;

    private HostMounter(PinnedNamespaceThreads hostThreads) {
        this.hostThreads = hostThreads;
    }

    /**
     * Enters the mount namespace at {@code namespacePath} with {@code threads} pinned threads.
     *
     * @throws SyscallException if the namespace cannot be opened or entered
     */
    public static HostMounter enter(String namespacePath, int threads) {
        return new HostMounter(PinnedNamespaceThreads.start(namespacePath, threads, HostMounter::warmUp));
    }

    /** Runs each code path once on a pinned thread so no class loads there later. */
    private static void warmUp() {
        String missing = "/nonexistent-mounter-warm-up-" + ProcessHandle.current().pid();
        for (Runnable path : new Runnable[] {
            () -> openBeneath(new ContainedPath("/", missing.substring(1) + "/x"), true),
            () -> Syscalls.mount("none", missing, "tmpfs", 0, null),
            () -> Syscalls.umount2(missing, Syscalls.UMOUNT_NOFOLLOW),
            () -> {
                throw new Refusal(Errno.EPERM, "warm-up");
            },
        }) {
            try {
                path.run();
            } catch (Refusal | SyscallException expected) {
                // only the class loading and binding mattered
            }
        }
        Syscalls.chdir("/");
    }

    @Override
    public void mount(AuthorizedMount mount) {
        hostThreads.call(() -> {
            int targetFd = openBeneath(mount.target(), false);
            try {
                Syscalls.mount(mount.source(), "/proc/thread-self/fd/" + targetFd, mount.fstype(),
                        mount.flags(), mount.data());
            } finally {
                Syscalls.close(targetFd);
            }
            return null;
        });
    }

    @Override
    public void unmount(ContainedPath target, int flags) {
        hostThreads.call(() -> {
            // Unmount by name relative to the held parent: an O_PATH fd on the mount itself
            // would pin it and make umount2 fail with EBUSY.
            int parentFd = openBeneath(target, true);
            try {
                Syscalls.fchdir(parentFd);
                Syscalls.umount2(target.name(), flags | Syscalls.UMOUNT_NOFOLLOW);
            } finally {
                Syscalls.chdir("/");
                Syscalls.close(parentFd);
            }
            return null;
        });
    }

    /** Opens the target (or its parent) as O_PATH; must run on a pinned thread. */
    private static int openBeneath(ContainedPath path, boolean parent) {
        int prefixFd = openResolving(AT_FDCWD, path.prefix(), O_DIRECTORY, NO_LINKS);
        String rest = parent ? path.parentRelative() : path.relative();
        if (rest.isEmpty()) {
            return prefixFd;
        }
        try {
            return openResolving(prefixFd, rest, parent ? O_DIRECTORY : 0, NO_LINKS | RESOLVE_BENEATH);
        } finally {
            Syscalls.close(prefixFd);
        }
    }

    private static int openResolving(int dirFd, String path, int extraFlags, int resolve) {
        try {
            return Syscalls.openat2(dirFd, path, O_PATH | O_CLOEXEC | extraFlags, resolve);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ELOOP || e.errno() == Errno.EXDEV) {
                throw new Refusal(Errno.EPERM, "target path " + path + " contains a symlink or leaves its prefix");
            }
            throw e;
        }
    }

    @Override
    public void close() {
        hostThreads.close();
    }
}

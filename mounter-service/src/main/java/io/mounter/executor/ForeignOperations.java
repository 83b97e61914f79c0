package io.mounter.executor;

import static io.mounter.linux.Syscalls.AT_FDCWD;
import static io.mounter.linux.Syscalls.O_CLOEXEC;
import static io.mounter.linux.Syscalls.O_PATH;
import static io.mounter.linux.Syscalls.RESOLVE_NO_MAGICLINKS;
import static io.mounter.linux.Syscalls.RESOLVE_NO_SYMLINKS;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.MountFlags;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import java.util.Set;

/**
 * What {@link NamespaceCommand}s do, on a thread that joined another process's mount
 * namespace: syscalls on descriptors and on paths of that namespace only.
 *
 * <p>Threat: the namespace belongs to a pod, whose processes may change its tree while we
 * work (swap a directory on the path for a symlink to anywhere). So the path is opened once
 * with openat2(RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS) and checked through that
 * descriptor, the fresh mount goes onto that very descriptor, and the dead one is detached
 * through it too. That needs /proc/thread-self, and the pod's /proc (if it has one) is not
 * ours: the thread reaches mounterd's own procfs through {@code procFd}, opened before it
 * left mounterd's namespace.
 */
public final class ForeignOperations {
    private static final int NO_LINKS = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    /** The ways a path that no longer leads to the dead mount fails to open. */
    private static final Set<Integer> GONE = Set.of(Errno.ENOENT, Errno.ENOTDIR, Errno.ELOOP, Errno.EXDEV);

    private final int procFd;

    ForeignOperations(int procFd) {
        this.procFd = procFd;
    }

    NamespaceCommand.Replacement replaceMount(DetachedMount fresh, String path, DeviceNumber dead) {
        NamespacePinning.requirePinned("replace mount");
        int targetFd;
        try {
            targetFd = Syscalls.openat2(AT_FDCWD, path, O_PATH | O_CLOEXEC, NO_LINKS);
        } catch (SyscallException e) {
            if (GONE.contains(e.errno())) {
                return NamespaceCommand.Replacement.NOT_HELD;
            }
            throw e;
        }
        try {
            if (!dead.equals(Syscalls.deviceOf(targetFd)) || !Syscalls.isMountRoot(targetFd)) {
                return NamespaceCommand.Replacement.NOT_HELD;
            }
            Syscalls.moveMount(fresh.fd(), "", targetFd, "", Syscalls.MOVE_MOUNT_F_EMPTY_PATH
                    | Syscalls.MOVE_MOUNT_T_EMPTY_PATH | Syscalls.MOVE_MOUNT_BENEATH);
            // the held descriptor still names the dead mount, now on top: detach it through
            // that descriptor, as a magic link of mounterd's procfs
            Syscalls.fchdir(procFd);
            Syscalls.umount2("thread-self/fd/" + targetFd, MountFlags.MNT_DETACH);
            return NamespaceCommand.Replacement.REPLACED;
        } finally {
            Syscalls.close(targetFd);
        }
    }
}

package io.mounter.executor;

import static io.mounter.linux.Syscalls.AT_FDCWD;
import static io.mounter.linux.Syscalls.O_CLOEXEC;
import static io.mounter.linux.Syscalls.O_DIRECTORY;
import static io.mounter.linux.Syscalls.O_PATH;
import static io.mounter.linux.Syscalls.RESOLVE_BENEATH;
import static io.mounter.linux.Syscalls.RESOLVE_NO_MAGICLINKS;
import static io.mounter.linux.Syscalls.RESOLVE_NO_SYMLINKS;
import static io.mounter.linux.Syscalls.RESOLVE_NO_XDEV;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.FsStats;
import io.mounter.linux.MountFlags;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.Refusal;
import java.util.function.IntSupplier;

/**
 * What the {@link HostCommand}s do, on a thread pinned in the host mount namespace: syscalls
 * only, on paths of that namespace and descriptors. Nothing here logs, allocates native
 * libraries or opens a path of mounterd's own view.
 *
 * <p>Threat: the target path lives in a tree the mount container can write (kubelet's pod
 * directories). If it were resolved and then mounted by name, a process could swap a
 * component for a symlink in between and have the mount land anywhere on the host
 * (CVE-2017-1002101, CVE-2021-30465). So the target is opened with
 * openat2(RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS), held as O_PATH, and the mount goes
 * onto that very descriptor through /proc/thread-self/fd/N: the thread's own view, since
 * /proc/self names the thread-group leader, whose fd table is the same but whose namespace
 * is not.
 */
final class HostOperations {
    private static final int NO_LINKS = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

    HostOperations() {
    }

    /**
     * Runs each step once on the calling, freshly pinned thread, against a path that does
     * not exist, so that no class loading or native binding happens there later.
     */
    void warmUp() {
        NamespacePinning.requirePinned("warm-up");
        String missing = "/nonexistent-mounter-warm-up-" + ProcessHandle.current().pid();
        ContainedPath missingName = new ContainedPath("/", missing.substring(1));
        ContainedPath missingBelow = new ContainedPath("/", missing.substring(1) + "/x");
        for (Runnable step : new Runnable[] {
            () -> new HostCommand.Mount(new AuthorizedMount("none", missingBelow, "tmpfs", 0, null)).runOn(this),
            () -> new HostCommand.Unmount(missingName, 0, null).runOn(this), // "/" exists: then ENOENT
            () -> new HostCommand.Unmount(missingName, 0, new DeviceNumber(0, 0)).runOn(this),
            () -> new HostCommand.DetachIf(missingBelow, new DeviceNumber(0, 0)).runOn(this),
            () -> Syscalls.mount("none", missing, "tmpfs", 0, null),
            () -> Syscalls.umount2(missing, MountFlags.UMOUNT_NOFOLLOW),
            () -> deviceOfMountedRoot(new ContainedPath("/", "proc")),
            () -> Syscalls.close(openMountInfo()),
            () -> cloneMount(missingName, "/").close(),
            () -> moveBeneath(missingName, missingName, new DeviceNumber(0, 0)),
            () -> bind(missingName, missingName, true),
            () -> statfs(missingName),
            () -> mountedDevice(missingName),
            () -> makeDirectory(missingBelow),
            () -> removeDirectory(missingBelow),
            () -> isDirectory(missingBelow),
            () -> {
                throw new Refusal(Errno.EPERM, "warm-up");
            },
        }) {
            try {
                step.run();
            } catch (Refusal | SyscallException expected) {
                // only the class loading and binding mattered
            }
        }
    }

    DeviceNumber mount(AuthorizedMount mount) {
        NamespacePinning.requirePinned("mount");
        ContainedPath target = mount.target();
        // the parent held too: the new mount's device is read through it, whatever a
        // directory above is renamed to meanwhile (a symlink race swaps one)
        int parentFd = openBeneath(target, true);
        try {
            int targetFd = openLast(parentFd, target, 0);
            try {
                // mount(8)'s rule, which kubelet's mount library relies on: a second mount
                // onto a target that holds one is refused, never stacked over it
                if (Syscalls.mountRootDevice(targetFd) != null) {
                    throw new Refusal(Errno.EBUSY, target.full() + " is already a mount point");
                }
                Syscalls.mount(mount.source(), "/proc/thread-self/fd/" + targetFd, mount.fstype(), mount.flags(),
                        mount.data());
            } finally {
                Syscalls.close(targetFd);
            }
            return deviceOfMountedRoot(parentFd, target);
        } finally {
            Syscalls.close(parentFd);
        }
    }

    /** As below, from the parent resolved again. */
    private static DeviceNumber deviceOfMountedRoot(ContainedPath target) {
        try {
            int parentFd = openBeneath(target, true);
            try {
                return deviceOfMountedRoot(parentFd, target);
            } finally {
                Syscalls.close(parentFd);
            }
        } catch (Refusal | SyscallException e) {
            return null;
        }
    }

    /** The device of the mount now on the target, looked up from its held parent; null if no mount is there. */
    private static DeviceNumber deviceOfMountedRoot(int parentFd, ContainedPath target) {
        try {
            return Syscalls.mountRootDeviceAt(parentFd, target.name());
        } catch (SyscallException e) {
            return null;
        }
    }

    void unmount(ContainedPath target, int flags, DeviceNumber made) {
        NamespacePinning.requirePinned("unmount");
        // Unmount by name below the held parent, reached through its descriptor's magic
        // link: an O_PATH fd on the mount itself would pin it and make umount2 fail with EBUSY.
        int parentFd = openBeneath(target, true);
        try {
            if (made != null) {
                requireMade(parentFd, target, made);
            }
            Syscalls.umount2("/proc/thread-self/fd/" + parentFd + "/" + target.name(),
                    flags | MountFlags.UMOUNT_NOFOLLOW);
        } finally {
            Syscalls.close(parentFd);
        }
    }

    /**
     * Threat: a path under the prefixes may hold a mount mounterd never made (another pod's
     * emptyDir, the host's own), or one put over its own. Only the filesystem mounterd made,
     * as the topmost mount on the target, is unmounted.
     */
    private static void requireMade(int parentFd, ContainedPath target, DeviceNumber made) {
        if (!made.equals(Syscalls.mountRootDeviceAt(parentFd, target.name()))) {
            throw new Refusal(Errno.EPERM, "the mount on " + target.full() + " is not the one mounterd made");
        }
    }

    /**
     * The mount seen at the target is held open and checked before it is detached through
     * that very descriptor, so a mount put there since (a volume on a reused path) is never
     * the one removed. A lazy detach works on a mount a process still uses; a dead FUSE mount
     * answers ENOTCONN anyway.
     */
    boolean detachIf(ContainedPath target, DeviceNumber device) {
        NamespacePinning.requirePinned("detach");
        int targetFd;
        try {
            targetFd = openBeneath(target, false);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                return false;
            }
            throw e;
        }
        try {
            if (!device.equals(Syscalls.deviceOf(targetFd))) {
                return false;
            }
            // followed as a magic link to the held mount's root; MNT_DETACH does not mind
            // that this descriptor still uses it
            Syscalls.umount2("/proc/thread-self/fd/" + targetFd, MountFlags.MNT_DETACH);
            return true;
        } finally {
            Syscalls.close(targetFd);
        }
    }

    DetachedMount cloneMount(ContainedPath source, String within) {
        NamespacePinning.requirePinned("clone mount");
        if (!within.startsWith("/")) {
            throw new Refusal(Errno.EINVAL, "not an absolute path within the mount: " + within);
        }
        int sourceFd = openBeneath(source, false);
        try {
            if (!Syscalls.isMountRoot(sourceFd)) {
                throw new Refusal(Errno.EINVAL, source.full() + " is not the root of a mount");
            }
            if (within.equals("/")) {
                return cloneAt(sourceFd);
            }
            // the filesystem's own tree is its daemon's to shape: beneath its root, no link
            int insideFd = Syscalls.openat2(sourceFd, within.substring(1), O_PATH | O_CLOEXEC,
                    NO_LINKS | RESOLVE_BENEATH);
            try {
                return cloneAt(insideFd);
            } finally {
                Syscalls.close(insideFd);
            }
        } finally {
            Syscalls.close(sourceFd);
        }
    }

    private static DetachedMount cloneAt(int fd) {
        int tree = Syscalls.openTree(fd, "", Syscalls.OPEN_TREE_CLONE | Syscalls.OPEN_TREE_CLOEXEC
                | Syscalls.AT_EMPTY_PATH);
        try {
            return new DetachedMount(tree, Syscalls.deviceOf(tree));
        } catch (RuntimeException e) {
            Syscalls.closeQuietly(tree);
            throw e;
        }
    }

    DeviceNumber moveBeneath(ContainedPath from, ContainedPath to, DeviceNumber dead) {
        NamespacePinning.requirePinned("move beneath");
        int fromFd = openBeneath(from, false);
        try {
            if (!Syscalls.isMountRoot(fromFd)) {
                throw new Refusal(Errno.EINVAL, from.full() + " is not the root of a mount");
            }
            int toFd = openBeneath(to, false);
            try {
                if (!dead.equals(Syscalls.deviceOf(toFd)) || !Syscalls.isMountRoot(toFd)) {
                    throw new Refusal(Errno.ESTALE, to.full() + " no longer shows the mount of " + dead);
                }
                Syscalls.moveMount(fromFd, "", toFd, "", Syscalls.MOVE_MOUNT_F_EMPTY_PATH
                        | Syscalls.MOVE_MOUNT_T_EMPTY_PATH | Syscalls.MOVE_MOUNT_BENEATH);
                // the held descriptor still names the dead mount, now on top
                Syscalls.umount2("/proc/thread-self/fd/" + toFd, MountFlags.MNT_DETACH);
            } finally {
                Syscalls.close(toFd);
            }
        } finally {
            Syscalls.close(fromFd);
        }
        return deviceOfMountedRoot(to);
    }

    /**
     * Binds the mount whose root is at {@code source} onto {@code target} (a copy of it:
     * open_tree with OPEN_TREE_CLONE, attached with move_mount), read-only if asked; both
     * resolved like mount targets. A target that is a mount point already is refused
     * (EBUSY), as for every mount.
     */
    DeviceNumber bind(ContainedPath source, ContainedPath target, boolean readOnly) {
        NamespacePinning.requirePinned("bind");
        int sourceFd = openBeneath(source, false);
        try {
            if (Syscalls.mountRootDevice(sourceFd) == null) {
                throw new Refusal(Errno.EINVAL, source.full() + " is not the root of a mount");
            }
            try (DetachedMount copy = cloneAt(sourceFd)) {
                int parentFd = openBeneath(target, true);
                try {
                    attach(copy, parentFd, target);
                    if (readOnly) {
                        makeReadOnly(parentFd, target);
                    }
                    return deviceOfMountedRoot(parentFd, target);
                } finally {
                    Syscalls.close(parentFd);
                }
            }
        } finally {
            Syscalls.close(sourceFd);
        }
    }

    private static void attach(DetachedMount copy, int parentFd, ContainedPath target) {
        int targetFd = openLast(parentFd, target, 0);
        try {
            if (Syscalls.mountRootDevice(targetFd) != null) {
                throw new Refusal(Errno.EBUSY, target.full() + " is already a mount point");
            }
            Syscalls.moveMount(copy.fd(), "", targetFd, "", Syscalls.MOVE_MOUNT_F_EMPTY_PATH
                    | Syscalls.MOVE_MOUNT_T_EMPTY_PATH);
        } finally {
            Syscalls.close(targetFd);
        }
    }

    /**
     * A bind remount sets the mount's flags to those given, so nosuid and nodev are given
     * again: a read-only copy of a FUSE mount must not gain what the original was denied.
     * If it fails, the copy just attached is detached: nothing half made stays.
     */
    private static void makeReadOnly(int parentFd, ContainedPath target) {
        int rootFd = openLast(parentFd, target, 0);
        try {
            Syscalls.mount(null, "/proc/thread-self/fd/" + rootFd, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND
                    | MountFlags.MS_RDONLY | MountFlags.MS_NOSUID | MountFlags.MS_NODEV, null);
        } catch (SyscallException e) {
            Syscalls.umount2("/proc/thread-self/fd/" + rootFd, MountFlags.MNT_DETACH);
            throw e;
        } finally {
            Syscalls.close(rootFd);
        }
    }

    /** The device of the mount whose root the target is, or null if it is none. */
    DeviceNumber mountedDevice(ContainedPath target) {
        NamespacePinning.requirePinned("mounted device");
        return deviceOfMountedRoot(target);
    }

    /** statfs of the filesystem at the path, resolved like a mount target (the last step may land on a mount's root). */
    FsStats statfs(ContainedPath path) {
        NamespacePinning.requirePinned("statfs");
        int fd = openBeneath(path, false);
        try {
            return Syscalls.fstatfs(fd);
        } finally {
            Syscalls.close(fd);
        }
    }

    boolean isDirectory(ContainedPath path) {
        NamespacePinning.requirePinned("is directory");
        int fd;
        try {
            fd = openBeneath(path, false);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                return false;
            }
            throw e;
        }
        try {
            return Syscalls.fstat(fd).isDirectory();
        } finally {
            Syscalls.close(fd);
        }
    }

    /** Creates the directory (0750) beneath its held parent; false if something is there already. */
    boolean makeDirectory(ContainedPath path) {
        NamespacePinning.requirePinned("mkdir");
        int parentFd = openBeneath(path, true);
        try {
            Syscalls.mkdirat(parentFd, path.name(), 0750);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EEXIST) {
                return false;
            }
            throw e;
        } finally {
            Syscalls.close(parentFd);
        }
    }

    /** Removes the empty directory beneath its held parent; false if it is gone already. A mount point is EBUSY. */
    boolean removeDirectory(ContainedPath path) {
        NamespacePinning.requirePinned("rmdir");
        int parentFd;
        try {
            parentFd = openBeneath(path, true);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
        try {
            Syscalls.unlinkat(parentFd, path.name(), Syscalls.AT_REMOVEDIR);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        } finally {
            Syscalls.close(parentFd);
        }
    }

    int openMountInfo() {
        NamespacePinning.requirePinned("mountinfo");
        return Syscalls.open("/proc/thread-self/mountinfo", Syscalls.O_RDONLY | O_CLOEXEC);
    }

    /**
     * Opens the target (or its parent) as O_PATH. Threat: everything below the prefix is the
     * mount container's to shape (a user there may mount a FUSE filesystem of their own that
     * never answers root, and put targets inside it). So the walk starts at the prefix, held
     * first (a path the host controls), and goes below it with RESOLVE_BENEATH|NO_SYMLINKS|
     * NO_MAGICLINKS|NO_XDEV: never out of the prefix, never through a symlink, never across a
     * mount point, so never into a filesystem a daemon serves. The path is normalised and
     * free of "." and ".." (ContainedPath). Only the last step, for the target itself, may
     * land on the root of the mount on it (an unmount, a detach, a new mount's device).
     */
    private static int openBeneath(ContainedPath path, boolean parent) {
        int parentFd = openParent(path);
        if (parent) {
            return parentFd;
        }
        try {
            return openLast(parentFd, path, 0);
        } finally {
            Syscalls.close(parentFd);
        }
    }

    private static int openParent(ContainedPath path) {
        int prefixFd = resolving(path, () -> Syscalls.openat2(AT_FDCWD, path.prefix(), O_PATH | O_CLOEXEC | O_DIRECTORY,
                NO_LINKS));
        String below = path.parentRelative();
        if (below.isEmpty()) {
            return prefixFd;
        }
        try {
            return resolving(path, () -> Syscalls.openat2(prefixFd, below, O_PATH | O_CLOEXEC | O_DIRECTORY,
                    NO_LINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV));
        } finally {
            Syscalls.close(prefixFd);
        }
    }

    /** The target's last component from its held parent, never followed; {@code resolve}: more RESOLVE_ flags. */
    private static int openLast(int parentFd, ContainedPath path, int resolve) {
        return resolving(path, () -> Syscalls.openat2(parentFd, path.name(), O_PATH | O_CLOEXEC,
                NO_LINKS | RESOLVE_BENEATH | resolve));
    }

    private static int resolving(ContainedPath path, IntSupplier open) {
        try {
            return open.getAsInt();
        } catch (SyscallException e) {
            if (e.errno() == Errno.ELOOP || e.errno() == Errno.EXDEV) {
                throw new Refusal(Errno.EPERM, "target path " + path.full()
                        + " contains a symlink, leaves its prefix or crosses a mount point below it");
            }
            throw e;
        }
    }
}

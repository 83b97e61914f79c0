package io.mounter.executor;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.FsStats;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;

/**
 * A step that must run in the host mount namespace, with its arguments and the type of its
 * result. Nothing else runs there: a new kind of step is a new record here and a method of
 * {@link HostOperations}, and the compiler holds the two together.
 *
 * @param <R> what the step returns
 */
public sealed interface HostCommand<R> {
    /** Performs this step; called by the executor on a pinned thread only. */
    R runOn(HostOperations host);

    /**
     * Opens the target beneath its prefix without following a symlink, mounts onto that
     * descriptor, and reads the new mount's device (for FUSE: 0:connection).
     *
     * <p>Result: the device, or null when it could not be read (the mount stands).
     */
    record Mount(AuthorizedMount mount) implements HostCommand<DeviceNumber> {
        @Override
        public DeviceNumber runOn(HostOperations host) {
            return host.mount(mount);
        }
    }

    /**
     * Unmounts the mount on the target, resolved like a mount target; the name is never
     * followed. Only if the mount there is {@code made}, the filesystem mounterd made (null:
     * its device is not known); else EPERM and nothing is unmounted.
     */
    record Unmount(ContainedPath target, int flags, DeviceNumber made) implements HostCommand<Void> {
        @Override
        public Void runOn(HostOperations host) {
            host.unmount(target, flags, made);
            return null;
        }
    }

    /**
     * Detaches the mount on the target if it is the filesystem {@code device}.
     *
     * <p>Result: false when the target shows another filesystem now, or is gone.
     */
    record DetachIf(ContainedPath target, DeviceNumber device) implements HostCommand<Boolean> {
        @Override
        public Boolean runOn(HostOperations host) {
            return host.detachIf(target, device);
        }
    }

    /**
     * Copies the mount whose root is at {@code source} (resolved like a mount target), or the
     * directory {@code within} it ("/" for all of it, "/a/b" as a bind mount's root reads in
     * mountinfo; resolved beneath the mount's root following no symlink), into a mount of no
     * namespace, for a {@link NamespaceCommand} to attach elsewhere.
     *
     * <p>Result: the copy, which the caller owns and closes.
     *
     * @throws io.mounter.policy.Refusal (EINVAL) if {@code source} is not the root of a mount
     *     or {@code within} not an absolute path
     */
    record CloneMount(ContainedPath source, String within) implements HostCommand<DetachedMount> {
        @Override
        public DetachedMount runOn(HostOperations host) {
            return host.cloneMount(source, within);
        }
    }

    /**
     * Moves the mount whose root is at {@code from} beneath the dead mount at {@code to}
     * (both resolved like mount targets), then detaches the dead one: {@code to} shows the
     * moved mount, with no moment in between showing the directory below, and nothing stays
     * stacked. Only while {@code to} shows the root of a mount of {@code dead}.
     *
     * <p>Result: the device now at {@code to}.
     *
     * @throws io.mounter.policy.Refusal (ESTALE) if {@code to} no longer shows the dead mount,
     *     (EINVAL) if {@code from} is not the root of a mount
     */
    record MoveBeneath(ContainedPath from, ContainedPath to, DeviceNumber dead) implements HostCommand<DeviceNumber> {
        @Override
        public DeviceNumber runOn(HostOperations host) {
            return host.moveBeneath(from, to, dead);
        }
    }

    /**
     * Binds a copy of the mount whose root is at {@code source} onto {@code target}, read-only
     * if asked (nosuid and nodev kept); both resolved like mount targets. EBUSY if the target
     * is a mount point already.
     *
     * <p>Result: the device now at {@code target}.
     */
    record Bind(ContainedPath source, ContainedPath target, boolean readOnly) implements HostCommand<DeviceNumber> {
        @Override
        public DeviceNumber runOn(HostOperations host) {
            return host.bind(source, target, readOnly);
        }
    }

    /** Result: the device of the mount whose root the target is, or null if it is none. No FUSE request is sent. */
    record MountedDevice(ContainedPath target) implements HostCommand<DeviceNumber> {
        @Override
        public DeviceNumber runOn(HostOperations host) {
            return host.mountedDevice(target);
        }
    }

    /**
     * Result: statfs of the filesystem at the path. On a FUSE mount this asks its daemon; ask
     * only of a mount whose daemon serves.
     */
    record StatFs(ContainedPath path) implements HostCommand<FsStats> {
        @Override
        public FsStats runOn(HostOperations host) {
            return host.statfs(path);
        }
    }

    /**
     * Resolves the path like a mount target (no symlink, nothing outside its prefix: else
     * EPERM). Result: whether it is a directory; false if it is missing or something else.
     */
    record IsDirectory(ContainedPath path) implements HostCommand<Boolean> {
        @Override
        public Boolean runOn(HostOperations host) {
            return host.isDirectory(path);
        }
    }

    /** Creates the directory. Result: false if something was there already. */
    record MakeDirectory(ContainedPath path) implements HostCommand<Boolean> {
        @Override
        public Boolean runOn(HostOperations host) {
            return host.makeDirectory(path);
        }
    }

    /** Removes the empty directory. Result: false if it was gone already. */
    record RemoveDirectory(ContainedPath path) implements HostCommand<Boolean> {
        @Override
        public Boolean runOn(HostOperations host) {
            return host.removeDirectory(path);
        }
    }

    /**
     * Opens the host namespace's mountinfo. The open file keeps that namespace, so any thread
     * may read and poll it afterwards.
     *
     * <p>Result: the descriptor, which the caller owns.
     */
    record OpenMountInfo() implements HostCommand<Integer> {
        @Override
        public Integer runOn(HostOperations host) {
            return host.openMountInfo();
        }
    }
}

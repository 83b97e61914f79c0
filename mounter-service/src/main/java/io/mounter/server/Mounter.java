package io.mounter.server;

import io.mounter.linux.DeviceNumber;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;

/** The thing that mounts, in whatever namespace it was built for. */
public interface Mounter {
    /**
     * Mounts {@code mount} onto its target, resolved beneath its prefix without following
     * any symlink.
     *
     * @return the device of the new mount's filesystem, or null if it could not be read
     *     (the mount stands either way)
     * @throws io.mounter.policy.Refusal if the target path holds a symlink (EPERM)
     * @throws io.mounter.linux.SyscallException if resolution or mount(2) fails; nothing is
     *     left mounted
     */
    DeviceNumber mount(AuthorizedMount mount);

    /**
     * Unmounts the mount on {@code target}, resolved like a mount target; the last
     * component is never followed.
     *
     * @throws io.mounter.policy.Refusal if the path holds a symlink (EPERM)
     * @throws io.mounter.linux.SyscallException if resolution or umount2(2) fails
     */
    void unmount(ContainedPath target, int flags);
}

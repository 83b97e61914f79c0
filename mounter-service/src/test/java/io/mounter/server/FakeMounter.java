package io.mounter.server;

import io.mounter.linux.DeviceNumber;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import java.util.ArrayList;
import java.util.List;

/**
 * Records what it was asked to do and returns {@link #device}; fails with {@link #failWith}
 * when that is set.
 */
final class FakeMounter implements Mounter {
    record Unmount(ContainedPath target, int flags) {
    }

    final List<AuthorizedMount> mounts = new ArrayList<>();
    final List<Unmount> unmounts = new ArrayList<>();
    /** Thrown by the next calls instead of recording them (a SyscallException or Refusal). */
    RuntimeException failWith;
    /** What the next mounts return as the new mount's device (null: could not be read). */
    DeviceNumber device = new DeviceNumber(0, 42);

    @Override
    public DeviceNumber mount(AuthorizedMount mount) {
        if (failWith != null) {
            throw failWith;
        }
        mounts.add(mount);
        return device;
    }

    @Override
    public void unmount(ContainedPath target, int flags) {
        if (failWith != null) {
            throw failWith;
        }
        unmounts.add(new Unmount(target, flags));
    }

    boolean untouched() {
        return mounts.isEmpty() && unmounts.isEmpty();
    }
}

package io.mounter.request;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.executor.NamespaceCommand;
import io.mounter.linux.DeviceNumber;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the mount and unmount commands it is given and returns {@link #device} for a
 * mount; fails with {@link #failWith} when that is set. Other commands are not expected
 * on the request path.
 */
final class FakeExecutor implements MountExecutor {
    record Unmount(ContainedPath target, int flags) {
    }

    final List<AuthorizedMount> mounts = new ArrayList<>();
    final List<Unmount> unmounts = new ArrayList<>();
    /** Thrown by the next commands instead of recording them (a SyscallException or Refusal). */
    RuntimeException failWith;
    /** What the next mounts return as the new mount's device (null: could not be read). */
    DeviceNumber device = new DeviceNumber(0, 42);

    @Override
    @SuppressWarnings("unchecked")
    public <R> R execute(HostCommand<R> command) {
        if (failWith != null) {
            throw failWith;
        }
        if (command instanceof HostCommand.Mount mount) {
            mounts.add(mount.mount());
            return (R) device;
        }
        if (command instanceof HostCommand.Unmount unmount) {
            unmounts.add(new Unmount(unmount.target(), unmount.flags()));
            return null;
        }
        throw new AssertionError("the request path does not send " + command);
    }

    /** The request path visits no other namespace. */
    @Override
    public <R> R executeIn(String namespacePath, NamespaceCommand<R> command) {
        throw new UnsupportedOperationException("no namespace visits on the request path: " + command);
    }

    boolean untouched() {
        return mounts.isEmpty() && unmounts.isEmpty();
    }
}

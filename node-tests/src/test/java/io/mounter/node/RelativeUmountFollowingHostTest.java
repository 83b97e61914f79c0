package io.mounter.node;

/**
 * {@link RelativeUmountTest} on a node whose mount container sees the host's later mounts below the
 * kubelet directory, as the static pod's HostToContainer volume does.
 */
class RelativeUmountFollowingHostTest extends RelativeUmountTest {
    @Override
    protected boolean kubeletDirFollowsHost() {
        return true;
    }
}

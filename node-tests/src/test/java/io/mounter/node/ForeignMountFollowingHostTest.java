package io.mounter.node;

/**
 * {@link ForeignMountTest} on a node whose mount container sees the host's later mounts below the
 * kubelet directory, as the static pod's HostToContainer volume does.
 */
class ForeignMountFollowingHostTest extends ForeignMountTest {
    @Override
    protected boolean kubeletDirFollowsHost() {
        return true;
    }
}

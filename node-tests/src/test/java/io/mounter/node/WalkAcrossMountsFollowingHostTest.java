package io.mounter.node;

/**
 * {@link WalkAcrossMountsTest} on a node whose mount container sees the host's later mounts below the
 * kubelet directory, as the static pod's HostToContainer volume does.
 */
class WalkAcrossMountsFollowingHostTest extends WalkAcrossMountsTest {
    @Override
    protected boolean kubeletDirFollowsHost() {
        return true;
    }
}

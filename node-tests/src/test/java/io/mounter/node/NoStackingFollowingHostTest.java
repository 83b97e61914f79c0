package io.mounter.node;

/**
 * {@link NoStackingTest} on a node whose mount container sees the host's later mounts below the
 * kubelet directory, as the static pod's HostToContainer volume does.
 */
class NoStackingFollowingHostTest extends NoStackingTest {
    @Override
    protected boolean kubeletDirFollowsHost() {
        return true;
    }
}

package io.mounter.node;

/**
 * {@link FusermountStandInTest} on a node whose mount container sees the host's later mounts below the
 * kubelet directory, as the static pod's HostToContainer volume does.
 */
class FusermountStandInFollowingHostTest extends FusermountStandInTest {
    @Override
    protected boolean kubeletDirFollowsHost() {
        return true;
    }
}

package io.mounter.node;

import java.util.List;

/**
 * A simulated node whose mount container runs mounter: the built shim in its
 * /etc/ld.so.preload (forwarding FUSE mounts, and umounts below the node's kubelet
 * directory) and dist/bin/mounterd serving it.
 */
public final class MounterNode implements AutoCloseable {
    private final SimulatedNode node;
    private final Mounterd mounterd;
    private final Distribution dist;

    private MounterNode(SimulatedNode node, Mounterd mounterd, Distribution dist) {
        this.node = node;
        this.mounterd = mounterd;
        this.dist = dist;
    }

    /** Builds the node and starts mounterd with {@code mounterdArgs} added to the defaults. */
    public static MounterNode start(List<String> mounterdArgs) {
        Distribution dist = Distribution.locate();
        SimulatedNode node = SimulatedNode.start(dir -> ContainerConfig.plain()
                .withPreload(dist.preloadLibrary())
                .withPreloadConfig("forward-umount-prefix " + dir.resolve("var/lib/kubelet") + "\n"));
        try {
            return new MounterNode(node, Mounterd.start(node, dist, mounterdArgs), dist);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    public static MounterNode start() {
        return start(List.of());
    }

    public SimulatedNode node() {
        return node;
    }

    public HostNamespace host() {
        return node.host();
    }

    public MountContainer container() {
        return node.container();
    }

    public Mounterd mounterd() {
        return mounterd;
    }

    public Distribution dist() {
        return dist;
    }

    @Override
    public void close() {
        try {
            mounterd.close();
        } finally {
            node.close();
        }
    }
}

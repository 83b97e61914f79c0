package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A simulated node whose mount container runs mounter: the built shim in its
 * /etc/ld.so.preload (forwarding FUSE mounts, and umounts below the node's kubelet
 * directory), the fusermount stand-in setuid root over fusermount3 and
 * fusermount-glusterfs, the image's /etc/fuse.conf (no user_allow_other), and dist/bin/mounterd
 * serving it.
 */
public final class MounterNode implements AutoCloseable {
    private final SimulatedNode node;
    private final Distribution dist;
    private final List<String> mounterdArgs;
    private final boolean kubeletDirFollowsHost;
    private Mounterd mounterd;

    private MounterNode(SimulatedNode node, Mounterd mounterd, Distribution dist, List<String> mounterdArgs,
                        boolean kubeletDirFollowsHost) {
        this.node = node;
        this.kubeletDirFollowsHost = kubeletDirFollowsHost;
        this.mounterd = mounterd;
        this.dist = dist;
        this.mounterdArgs = List.copyOf(mounterdArgs);
    }

    /** Where Debian's fuse3 and glusterfs-client put the helpers the stand-in replaces (/bin is usr/bin). */
    public static final String FUSERMOUNT3 = "/usr/bin/fusermount3";
    public static final String FUSERMOUNT_GLUSTERFS = "/usr/bin/fusermount-glusterfs";
    private static final int SETUID_ROOT = 04755;
    /** The image's: no user_allow_other, mount_max unset (preload-shim/fuse.conf). */
    public static final String FUSE_CONF = "/etc/fuse.conf";

    /** Builds the node and starts mounterd with {@code mounterdArgs} added to the defaults. */
    public static MounterNode start(List<String> mounterdArgs) {
        return start(mounterdArgs, false);
    }

    /**
     * As {@link #start(List)}; with {@code kubeletDirFollowsHost}, the container sees the
     * mounts made on the host below the kubelet directory, as the static pod's HostToContainer
     * volume does, mounterd's own included.
     */
    public static MounterNode start(List<String> mounterdArgs, boolean kubeletDirFollowsHost) {
        Distribution dist = Distribution.locate();
        SimulatedNode node = SimulatedNode.start(dir -> followed(dir, kubeletDirFollowsHost, ContainerConfig.plain()
                .withPreload(dist.preloadLibrary())
                .withPreloadConfig("forward-umount-prefix " + dir.resolve("var/lib/kubelet") + "\n")
                .withFile(FUSERMOUNT3, dist.bin("fusermount3"), SETUID_ROOT)
                .withFile(FUSERMOUNT_GLUSTERFS, dist.bin("fusermount-glusterfs"), SETUID_ROOT)
                .withFile(FUSE_CONF, dist.root().resolve("etc/fuse.conf"), 0644)));
        try {
            return new MounterNode(node, Mounterd.start(node, dist, mounterdArgs), dist, mounterdArgs,
                    kubeletDirFollowsHost);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    private static ContainerConfig followed(Path dir, boolean kubeletDirFollowsHost, ContainerConfig config) {
        return kubeletDirFollowsHost ? config.withFollowedDir(dir.resolve("var/lib/kubelet")) : config;
    }

    public static MounterNode start() {
        return start(List.of());
    }

    /** Whether the container sees the host's mounts below the kubelet directory (HostToContainer). */
    public boolean kubeletDirFollowsHost() {
        return kubeletDirFollowsHost;
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

    public synchronized Mounterd mounterd() {
        return mounterd;
    }

    /**
     * Stops mounterd as kubelet stops the pod (SIGTERM) and waits up to 5 s for it to exit,
     * for a test that changes the node before {@link #restartMounterd}.
     */
    public synchronized void stopMounterd() {
        mounterd.terminate();
        mounterd.awaitExit(Duration.ofSeconds(5));
    }

    /**
     * Starts mounterd again, with the flags the node was started with, after the running one
     * was killed or stopped (one still running is stopped first, with SIGTERM); waits until
     * the new one answers. Its log goes on in the same file.
     */
    public synchronized Mounterd restartMounterd() {
        return restartMounterd(Map.of());
    }

    /** {@link #restartMounterd()} with {@code environment} set for the launcher (MOUNTER_CDS_ARCHIVE...). */
    public synchronized Mounterd restartMounterd(Map<String, String> environment) {
        mounterd.close();
        mounterd = Mounterd.start(node, dist, "", environment, mounterdArgs);
        return mounterd;
    }

    /**
     * Stops the node's mounterd (SIGTERM, waiting for it to exit) and starts {@code other}'s
     * build of mounterd in its place: the same flags on the same socket, so the shim reaches
     * it as it reached the node's, with a state directory and log of its own ({@code name});
     * waits until it answers. The caller closes the one returned, then brings the node's own
     * back with {@link #restartMounterd}.
     */
    public synchronized Mounterd replaceMounterd(Distribution other, String name, Map<String, String> environment) {
        stopMounterd();
        return Mounterd.start(node, other, name, environment, mounterdArgs);
    }

    public Distribution dist() {
        return dist;
    }

    @Override
    public synchronized void close() {
        try {
            mounterd.close();
        } finally {
            node.close();
        }
    }
}

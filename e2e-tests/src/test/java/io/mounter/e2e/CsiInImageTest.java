package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.csi.proto.GetPluginInfoRequest;
import io.mounter.csi.proto.NodeGetVolumeStatsRequest;
import io.mounter.csi.proto.NodePublishVolumeRequest;
import io.mounter.csi.proto.NodeStageVolumeRequest;
import io.mounter.csi.proto.NodeUnpublishVolumeRequest;
import io.mounter.csi.proto.NodeUnstageVolumeRequest;
import io.mounter.csi.proto.VolumeCapability;
import io.mounter.node.CsiClient;
import io.mounter.node.GlusterVolume;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CSI door in the real image, as mounter-csi.yaml runs it (mounterd's --csi-endpoint in
 * kubelet's plugin directory): a GlusterFS volume staged and published through it; then
 * mounterd killed (mounter-init starts it again): the pod's volume serves throughout, the
 * socket comes back, and the new mounterd unpublishes and unstages what the old one made.
 */
class CsiInImageTest extends OnDockerNode {
    private static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER)).build();

    /** The kubelet directory of the node: MOUNTER_ARGS allows its pods directory. */
    private static Path kubeletDir(MounterContainer.Spec spec) {
        String args = spec.environment().get("MOUNTER_ARGS");
        String pods = args.substring(args.indexOf("--allow-target-prefix ") + "--allow-target-prefix ".length()).split(" ")[0];
        return Path.of(pods).getParent();
    }

    private static Path socketIn(Path kubeletDir) {
        return kubeletDir.resolve("plugins/csi.mounter.io/csi.sock");
    }

    @Override
    protected MounterContainer.Spec containerSpec(MounterContainer.Spec spec) {
        return spec.withEnv("MOUNTER_ARGS", spec.environment().get("MOUNTER_ARGS") + " --csi-endpoint "
                + socketIn(kubeletDir(spec)));
    }

    @Test
    void aVolumeStagedAndPublishedThroughTheDoorOutlivesMounterdsDeath() throws Exception {
        Path socket = socketIn(node.kubeletPodsDir().getParent());
        awaitSocket(socket);
        GlusterVolume volume = node.gluster().createVolume("e2e-csi");
        Path staging = node.newVolumeDir("globalmount");
        Path target = node.newVolumeDir("kubernetes.io~csi").resolve("pod");
        try (CsiClient csi = new CsiClient(socket)) {
            assertEquals("csi.mounter.io", csi.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName());
            csi.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder().setVolumeId("v").setVolumeCapability(MOUNT)
                    .setStagingTargetPath(staging.toString()).putAllVolumeContext(Map.of("fstype", "glusterfs",
                            "source", volume.source(), "options", "log-level=WARNING")).build());
            csi.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder().setVolumeId("v").setVolumeCapability(MOUNT)
                    .setStagingTargetPath(staging.toString()).setTargetPath(target.toString()).build());
            node.host().run("sh", "-c", "echo before > " + target.resolve("before"));
            assertEquals("before\n", Files.readString(volume.brick().resolve("before")));
        }

        ProcessInfo mounterd = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.commandLine().contains("io.mounter.daemon.MounterDaemon") && !p.isZombie()).orElseThrow();
        node.host().run("kill", "-KILL", Long.toString(mounterd.pid()));
        node.host().run("sh", "-c", "echo while-gone > " + target.resolve("while-gone"));
        assertEquals("while-gone\n", Files.readString(volume.brick().resolve("while-gone")), "served while mounterd is gone");

        awaitNewMounterd(mounterd.pid());
        awaitSocket(socket);
        try (CsiClient csi = new CsiClient(socket)) {
            assertFalse(awaitStats(csi, target).getVolumeCondition().getAbnormal());
            csi.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId("v")
                    .setTargetPath(target.toString()).build());
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId("v")
                    .setStagingTargetPath(staging.toString()).build());
        }
        assertFalse(node.host().isMounted(target) || node.host().isMounted(staging), "unpublished and unstaged");
        assertFalse(Files.exists(target));
        assertTrue(node.container().logs().contains("killed by signal 9"), node.container().logs());
    }

    private void awaitSocket(Path socket) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (CsiClient csi = new CsiClient(socket)) {
                csi.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
                return;
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no CSI door at " + socket + "\n" + node.container().logs(), notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    private void awaitNewMounterd(long old) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Processes.findInPidNamespace(node.container().pidNamespaceInode(), p -> p.pid() != old
                && p.commandLine().contains("io.mounter.daemon.MounterDaemon") && !p.isZombie()).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "mounterd not started again\n" + node.container().logs());
            Thread.sleep(100);
        }
    }

    /** The stats, once the new mounterd has rebuilt its table (NOT_FOUND before). */
    private static io.mounter.csi.proto.NodeGetVolumeStatsResponse awaitStats(CsiClient csi, Path target)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return csi.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder().setVolumeId("v")
                        .setVolumePath(target.toString()).build());
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }
}

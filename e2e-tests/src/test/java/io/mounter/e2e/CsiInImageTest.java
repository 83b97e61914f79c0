package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
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
        Published published = stageAndPublish("v", "e2e-csi");
        Path target = published.target();
        GlusterVolume volume = published.volume();
        try (CsiClient csi = new CsiClient(published.socket())) {
            assertEquals("csi.mounter.io", csi.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName());
        }
        node.host().run("sh", "-c", "echo before > " + target.resolve("before"));
        assertEquals("before\n", Files.readString(volume.brick().resolve("before")));

        ProcessInfo mounterd = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.commandLine().contains("io.mounter.daemon.MounterDaemon") && !p.isZombie()).orElseThrow();
        node.host().run("kill", "-KILL", Long.toString(mounterd.pid()));
        node.host().run("sh", "-c", "echo while-gone > " + target.resolve("while-gone"));
        assertEquals("while-gone\n", Files.readString(volume.brick().resolve("while-gone")), "served while mounterd is gone");

        awaitNewMounterd(mounterd.pid());
        awaitSocket(published.socket());
        try (CsiClient csi = new CsiClient(published.socket())) {
            assertFalse(awaitStats(csi, target).getVolumeCondition().getAbnormal());
        }
        unpublishAndUnstage(published);
        assertFalse(Files.exists(target));
        assertTrue(node.container().logs().contains("killed by signal 9"), node.container().logs());
    }

    /**
     * The container replaced (an image update, a manifest edit): its glusterfs daemon ends
     * with it. The new container's mounterd runs the staged volume's daemon again, puts the
     * fresh mount beneath the dead one on the staging path, and repairs the pod's published
     * copy in the host namespace: the target serves again, and unpublishes and unstages.
     */
    @Test
    void aPublishedVolumeServesAgainAfterTheContainerIsReplaced() throws Exception {
        Published published = stageAndPublish("r", "e2e-csi-replaced");
        Path staging = published.staging();
        Path target = published.target();
        awaitCommandSaved(staging);
        io.mounter.linux.DeviceNumber dead = node.host().mountinfo().at(target).orElseThrow().device();

        node.restartContainer();

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            var now = node.host().mountinfo().at(target);
            if (now.isPresent() && !now.get().device().equals(dead)
                    && node.host().exec("sh", "-c", "echo after > " + target.resolve("after")).succeeded()) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "the published copy serves again\n" + node.container().logs());
            Thread.sleep(200);
        }
        assertEquals("after\n", Files.readString(published.volume().brick().resolve("after")));
        assertEquals(node.host().mountinfo().at(staging).orElseThrow().device(),
                node.host().mountinfo().at(target).orElseThrow().device(), "the copy is of the fresh staged mount");
        awaitSocket(published.socket());
        unpublishAndUnstage(published);
    }

    /** A GlusterVolume staged and published through the door as volume {@code id}. */
    private record Published(Path socket, String id, GlusterVolume volume, Path staging, Path target) {
    }

    private Published stageAndPublish(String id, String volumeName) throws InterruptedException {
        Path socket = socketIn(node.kubeletPodsDir().getParent());
        awaitSocket(socket);
        Published published = new Published(socket, id, node.gluster().createVolume(volumeName),
                node.newVolumeDir("globalmount"), node.newVolumeDir("kubernetes.io~csi").resolve("pod"));
        try (CsiClient csi = new CsiClient(socket)) {
            csi.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder().setVolumeId(id).setVolumeCapability(MOUNT)
                    .setStagingTargetPath(published.staging().toString()).putAllVolumeContext(Map.of("fstype",
                            "glusterfs", "source", published.volume().source(), "options", "log-level=WARNING")).build());
            csi.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder().setVolumeId(id).setVolumeCapability(MOUNT)
                    .setStagingTargetPath(published.staging().toString())
                    .setTargetPath(published.target().toString()).build());
        }
        return published;
    }

    /** Unpublishes and unstages through the door; afterwards neither path holds a mount. */
    private void unpublishAndUnstage(Published published) {
        try (CsiClient csi = new CsiClient(published.socket())) {
            csi.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(published.id())
                    .setTargetPath(published.target().toString()).build());
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(published.id())
                    .setStagingTargetPath(published.staging().toString()).build());
        }
        assertFalse(node.host().isMounted(published.target()) || node.host().isMounted(published.staging()),
                "unpublished and unstaged");
    }

    /** The staged daemon's command is in the state file, for a new container to run it again. */
    private void awaitCommandSaved(Path staging) throws Exception {
        Path state = node.stateDir().resolve("mounts.json");
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!(Files.exists(state) && JSON.std.mapFrom(Files.readString(state)).get("commands") instanceof Map<?, ?>
                commands && commands.containsKey(staging.toString()))) {
            assertTrue(System.nanoTime() < deadline, "no command saved for " + staging + ": "
                    + (Files.exists(state) ? Files.readString(state) : "no state file"));
            Thread.sleep(100);
        }
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

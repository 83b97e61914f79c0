package io.mounter.node;

import io.mounter.csi.proto.NodePublishVolumeRequest;
import io.mounter.csi.proto.NodeStageVolumeRequest;
import io.mounter.csi.proto.NodeUnpublishVolumeRequest;
import io.mounter.csi.proto.NodeUnstageVolumeRequest;
import io.mounter.csi.proto.VolumeCapability;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CSI door's two mount calls as kubelet makes them, timed from the client (the node
 * test's gRPC stubs on mounterd's socket): NodePublishVolume of a staged volume (a bind copy
 * in the host namespace, no helper), and NodeStageVolume of GlusterFS (mount.glusterfs and
 * its daemon in the container, the landing check) against a native `mount -t glusterfs` run
 * in the host namespace, the ways taking turns. Each call's reverse runs between, unmeasured.
 */
final class CsiBenchmark {
    static final String SOCKET = "/run/mounter/csi/csi.sock";
    static final int PUBLISHES = 60;
    static final int STAGES = 12;
    private static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER)).build();

    /** One way: how many calls, and their median and slowest in milliseconds. */
    record Figures(String way, int calls, double medianMs, double maxMs) {
    }

    private CsiBenchmark() {
    }

    /** On a node of its own, whose mounterd serves the CSI door (a baseline build may lack it). */
    static List<Figures> measure() {
        try (MounterNode mounter = MounterNode.start(List.of("--csi-endpoint", SOCKET))) {
            return measure(mounter);
        }
    }

    private static List<Figures> measure(MounterNode mounter) {
        GlusterVolume volume = mounter.node().gluster().createVolume("csi-bench");
        Map<String, String> context = Map.of("fstype", "glusterfs", "source", volume.source(),
                "options", "log-level=WARNING");
        List<Double> publishes = new ArrayList<>();
        List<Double> stages = new ArrayList<>();
        List<Double> natives = new ArrayList<>();
        try (CsiClient csi = new CsiClient(mounter.container().hostView(SOCKET))) {
            Path staging = mounter.node().newVolumeDir("globalmount");
            csi.node().nodeStageVolume(stage("published", staging, context));
            Path target = mounter.node().newVolumeDir("kubernetes.io~csi").resolve("pod");
            for (int i = 0; i < PUBLISHES + PUBLISHES / 10; i++) {
                long start = System.nanoTime();
                csi.node().nodePublishVolume(NodePublishVolumeRequest.newBuilder().setVolumeId("published")
                        .setStagingTargetPath(staging.toString()).setTargetPath(target.toString())
                        .setVolumeCapability(MOUNT).build());
                double ms = (System.nanoTime() - start) / 1e6;
                if (i >= PUBLISHES / 10) { // the first tenth warms up
                    publishes.add(ms);
                }
                csi.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId("published")
                        .setTargetPath(target.toString()).build());
            }
            unstage(csi, "published", staging);
            for (int i = 0; i < STAGES; i++) {
                Path stagingAgain = mounter.node().newVolumeDir("globalmount");
                long start = System.nanoTime();
                csi.node().nodeStageVolume(stage("staged-" + i, stagingAgain, context));
                stages.add((System.nanoTime() - start) / 1e6);
                unstage(csi, "staged-" + i, stagingAgain);

                Path nativeTarget = mounter.node().newVolumeDir("native");
                start = System.nanoTime();
                mounter.host().run("mount", "-t", "glusterfs", "-o", "log-level=WARNING", volume.source(),
                        nativeTarget.toString());
                natives.add((System.nanoTime() - start) / 1e6);
                mounter.host().run("umount", nativeTarget.toString());
            }
        }
        return List.of(figures("NodePublishVolume of a staged volume (bind copy)", publishes),
                figures("NodeStageVolume, GlusterFS (helper and daemon in the container)", stages),
                figures("native `mount -t glusterfs` in the host namespace", natives));
    }

    private static NodeStageVolumeRequest stage(String id, Path staging, Map<String, String> context) {
        return NodeStageVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString())
                .setVolumeCapability(MOUNT).putAllVolumeContext(context).build();
    }

    private static void unstage(CsiClient csi, String id, Path staging) {
        csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
    }

    private static Figures figures(String way, List<Double> ms) {
        List<Double> sorted = ms.stream().sorted().toList();
        return new Figures(way, ms.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
    }

    static String table(List<Figures> figures) {
        StringBuilder out = new StringBuilder("| way | calls | median (ms) | slowest (ms) | / native |\n|---|---|---|---|---|\n");
        double nativeMedian = figures.get(figures.size() - 1).medianMs();
        for (Figures f : figures) {
            out.append(String.format("| %s | %d | %.1f | %.1f | %.2fx |%n", f.way(), f.calls(), f.medianMs(), f.maxMs(),
                    f.medianMs() / nativeMedian));
        }
        return out.toString();
    }
}

package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Volume;
import io.mounter.deploy.Manifests.MountPod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/**
 * The mount container's pod against the rest of the project (ProjectFacts): the image,
 * mounterd's defaults, where kubelet runs kubelet-mounter from and where that reads its
 * config, and the route kubelet-mounter uses to find this pod.
 */
final class ConsistencyChecks {

    /** The file name the entrypoint installs and kubelet's flag ends in. */
    static final String KUBELET_MOUNTER = "kubelet-mounter";

    private ConsistencyChecks() {
    }

    static void all(MountPod pod, ProjectFacts facts) {
        assertAll(pod + ": agreement with the project",
                () -> image(pod, facts),
                () -> socket(pod, facts),
                () -> hostMountNamespace(pod, facts),
                () -> stateDir(pod, facts),
                () -> kubeletMounterInstallDir(pod, facts),
                () -> kubeletMounterConfigDir(pod, facts),
                () -> defaultRoutes(pod, facts));
    }

    static void image(MountPod pod, ProjectFacts facts) {
        assertEquals(facts.image(), MountPodChecks.theContainer(pod).getImage(), pod + ": image vs " + ProjectFacts.IMAGE_FILE);
    }

    /** The socket everyone meets at is mounterd's default, in a directory shared with the host. */
    static void socket(MountPod pod, ProjectFacts facts) {
        String socket = MountPodChecks.env(pod, "MOUNTER_SOCKET");
        assertEquals(facts.socket(), socket, pod + ": MOUNTER_SOCKET vs mounterd's --socket default");
        String directory = parent(socket);
        Volume volume = hostPathVolumeAt(pod, directory, "the socket directory");
        assertEquals("DirectoryOrCreate", volume.getHostPath().getType(), pod + ": type of the socket directory's hostPath");
    }

    /** The namespace file lies in the host's procfs as mounted in the container. */
    static void hostMountNamespace(MountPod pod, ProjectFacts facts) {
        String namespace = MountPodChecks.env(pod, "MOUNTER_HOST_MOUNT_NS");
        assertEquals(facts.hostMountNamespace(), namespace, pod + ": MOUNTER_HOST_MOUNT_NS vs mounterd's --host-mount-ns default");
        String procMount = mountPathOfHostPath(pod, "/proc");
        assertTrue(namespace.startsWith(procMount + "/"),
                pod + ": MOUNTER_HOST_MOUNT_NS " + namespace + " is not under the host's /proc, mounted at " + procMount);
    }

    static void stateDir(MountPod pod, ProjectFacts facts) {
        String stateDir = MountPodChecks.env(pod, "MOUNTER_STATE_DIR");
        assertEquals(facts.stateDir(), stateDir, pod + ": MOUNTER_STATE_DIR vs mounterd's --state-dir default");
        hostPathVolumeAt(pod, stateDir, "the state directory (kept across container restarts)");
    }

    /** kubelet runs HOSTDIR/kubelet-mounter (kubelet-patch/README.md), so the entrypoint must install there. */
    static void kubeletMounterInstallDir(MountPod pod, ProjectFacts facts) {
        String installDir = MountPodChecks.env(pod, "MOUNTER_INSTALL_KUBELET_MOUNTER");
        Volume volume = hostPathVolumeAt(pod, installDir, "MOUNTER_INSTALL_KUBELET_MOUNTER");
        String installed = volume.getHostPath().getPath() + "/" + KUBELET_MOUNTER;
        assertTrue(facts.kubeletMounterPaths().contains(installed), pod + ": the entrypoint installs " + installed
                + " on the host, but " + ProjectFacts.KUBELET_PATCH_README + " has kubelet run one of "
                + facts.kubeletMounterPaths());
    }

    /** kubelet-mounter reads DEFAULT_CONFIG on the host; the entrypoint writes it through this mount. */
    static void kubeletMounterConfigDir(MountPod pod, ProjectFacts facts) {
        String configDir = MountPodChecks.env(pod, "MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG");
        Volume volume = hostPathVolumeAt(pod, configDir, "MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG");
        assertEquals(parent(facts.kubeletMounterConfig()), volume.getHostPath().getPath(),
                pod + ": host directory of kubelet-mounter's config " + facts.kubeletMounterConfig());
    }

    /** kubelet-mounter's default route must select this pod by its labels and name its container. */
    static void defaultRoutes(MountPod pod, ProjectFacts facts) {
        Map<String, String> labels = pod.metadata() == null || pod.metadata().getLabels() == null
                ? Map.of() : pod.metadata().getLabels();
        List<String> containers = pod.spec().getContainers().stream().map(Container::getName).toList();
        assertAll(pod + ": routes from " + facts.defaultRoutesSource(), facts.defaultRoutes().stream()
                .map(route -> (Executable) () -> {
                    route.selector().forEach((key, value) -> assertEquals(value, labels.get(key),
                            "label " + key + " selected by " + route));
                    assertTrue(containers.contains(route.container()),
                            "container " + route.container() + " of " + route + " not in " + containers);
                }));
    }

    static String mountPathOfHostPath(MountPod pod, String hostPath) {
        Volume volume = pod.spec().getVolumes().stream()
                .filter(candidate -> candidate.getHostPath() != null && hostPath.equals(candidate.getHostPath().getPath()))
                .findFirst().orElseThrow(() -> new AssertionError(pod + ": no hostPath volume of " + hostPath));
        return MountPodChecks.theContainer(pod).getVolumeMounts().stream()
                .filter(mount -> volume.getName().equals(mount.getName())).map(mount -> mount.getMountPath())
                .findFirst().orElseThrow(() -> new AssertionError(pod + ": volume " + volume.getName() + " is not mounted"));
    }

    private static Volume hostPathVolumeAt(MountPod pod, String mountPath, String what) {
        return MountPodChecks.hostPathVolumeAt(pod, mountPath)
                .orElseThrow(() -> new AssertionError(pod + ": " + what + " " + mountPath + " is no hostPath mount"));
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        assertTrue(slash > 0, "no parent directory in " + path);
        return path.substring(0, slash);
    }
}

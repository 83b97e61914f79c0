package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * csi-driver/: the CSIDriver object, the DaemonSet with the CSI door on, and the examples,
 * against each other, the plain DaemonSet, and mounterd's own flags and policy.
 */
final class CsiChecks {
    static final String DIRECTORY = "csi-driver/";
    static final String CSI_DRIVER = DIRECTORY + "csidriver.yaml";
    static final String DAEMON_SET = DIRECTORY + "mounter-csi.yaml";
    static final List<String> EXAMPLES = List.of(DIRECTORY + "examples/glusterfs-pv.yaml",
            DIRECTORY + "examples/sshfs-pv.yaml", DIRECTORY + "examples/inline-pod.yaml");
    /** What may differ between the plain DaemonSet's mount container and this one's. */
    private static final List<String> CSI_ENV = List.of("MOUNTER_ARGS", "NODE_NAME");

    /** The files' documents, as read (one list per file, examples in EXAMPLES' order). */
    record Files(List<JsonNode> csiDriver, List<JsonNode> daemonSet, List<List<JsonNode>> examples) {
        static Files read(RepositoryFiles repository) {
            return new Files(Manifests.documents(repository, CSI_DRIVER), Manifests.documents(repository, DAEMON_SET),
                    EXAMPLES.stream().map(example -> Manifests.documents(repository, example)).toList());
        }
    }

    private CsiChecks() {
    }

    static void all(Files files, Manifests.DaemonSetFile plain, ProjectFacts facts) {
        CSIDriver driver = csiDriver(files, facts);
        DaemonSet daemonSet = daemonSet(files, plain);
        socketPaths(daemonSet);
        examples(files, driver.getMetadata().getName());
    }

    /** Node only, no attach, pod info, both lifecycle modes, no fsGroup chown; named as mounterd names itself. */
    static CSIDriver csiDriver(Files files, ProjectFacts facts) {
        assertEquals(1, files.csiDriver().size(), CSI_DRIVER + ": one document");
        CSIDriver driver = Manifests.resource(files.csiDriver().get(0), CSIDriver.class);
        assertEquals(List.of(), UnknownFields.in(driver), "CSIDriver: fields unknown to the Kubernetes API");
        assertEquals(facts.mounterdDefaults().get("--csi-driver-name"), driver.getMetadata().getName(),
                "the CSIDriver's name is mounterd's --csi-driver-name default");
        assertEquals(Boolean.FALSE, driver.getSpec().getAttachRequired(), "no controller: nothing to attach");
        assertEquals(Boolean.TRUE, driver.getSpec().getPodInfoOnMount());
        assertEquals(List.of("Persistent", "Ephemeral"), driver.getSpec().getVolumeLifecycleModes());
        assertEquals("None", driver.getSpec().getFsGroupPolicy(), "no recursive chown of a FUSE tree");
        return driver;
    }

    /** The plain DaemonSet with the CSI door on: the same mount container but for its CSI settings. */
    static DaemonSet daemonSet(Files files, Manifests.DaemonSetFile plain) {
        assertEquals(2, files.daemonSet().size(), DAEMON_SET + ": a Namespace and a DaemonSet");
        assertEquals(plain.namespace(), Manifests.resource(files.daemonSet().get(0)), "the same Namespace");
        DaemonSet daemonSet = Manifests.resource(files.daemonSet().get(1), DaemonSet.class);
        assertEquals(List.of(), UnknownFields.in(daemonSet), "DaemonSet: fields unknown to the Kubernetes API");
        assertEquals(plain.daemonSet().getMetadata(), daemonSet.getMetadata(),
                "the same DaemonSet, so that applying one replaces the other");
        Container mounter = container(daemonSet, "mounter");
        Container plainMounter = container(plain.daemonSet(), "mounter");
        assertEquals(withoutCsiEnv(plainMounter), withoutCsiEnv(mounter), "the mount container is the plain one's");
        EnvVar nodeName = env(mounter, "NODE_NAME").orElseThrow(() -> new AssertionError("NODE_NAME is not set"));
        assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath(), "node_id: the node's name");
        assertEquals(List.of("mounter", "node-driver-registrar", "liveness-probe"),
                daemonSet.getSpec().getTemplate().getSpec().getContainers().stream().map(Container::getName).toList());
        assertEquals(null, mounter.getLivenessProbe(), "a restart would end every FUSE daemon");
        return daemonSet;
    }

    /**
     * mounterd's --csi-endpoint, as kubelet sees it (registration path) and as the sidecars
     * see it (their mount of the plugin directory), is one socket.
     */
    static void socketPaths(DaemonSet daemonSet) {
        Container mounter = container(daemonSet, "mounter");
        String args = env(mounter, "MOUNTER_ARGS").map(EnvVar::getValue).orElse("");
        List<String> words = List.of(args.trim().split("\\s+"));
        int at = words.indexOf("--csi-endpoint");
        assertTrue(at >= 0 && at + 1 < words.size(), "MOUNTER_ARGS turns the CSI door on: " + args);
        Path endpoint = Path.of(words.get(at + 1));
        VolumeMount kubeletDir = mount(mounter, "kubelet-dir");
        assertTrue(endpoint.startsWith(kubeletDir.getMountPath()), "mounterd makes the socket in kubelet's directory");
        assertEquals(kubeletDir.getMountPath(), hostPath(daemonSet, "kubelet-dir"), "the same path inside and out");
        assertEquals(endpoint.getParent().toString(), hostPath(daemonSet, "plugin-dir"), "the plugin directory");
        Container registrar = container(daemonSet, "node-driver-registrar");
        assertTrue(registrar.getImage().startsWith("registry.k8s.io/sig-storage/csi-node-driver-registrar:"));
        assertTrue(registrar.getArgs().contains("--kubelet-registration-path=" + endpoint), registrar.getArgs().toString());
        assertEquals("/var/lib/kubelet/plugins_registry", hostPath(daemonSet, "registration-dir"));
        assertEquals("/registration", mount(registrar, "registration-dir").getMountPath());
        Container liveness = container(daemonSet, "liveness-probe");
        assertTrue(liveness.getImage().startsWith("registry.k8s.io/sig-storage/livenessprobe:"));
        for (Container sidecar : List.of(registrar, liveness)) {
            String inside = mount(sidecar, "plugin-dir").getMountPath() + "/" + endpoint.getFileName();
            assertTrue(sidecar.getArgs().contains("--csi-address=" + inside), sidecar.getName() + ": " + sidecar.getArgs());
        }
    }

    /** Every example names the driver, says fstype and source of a type mounterd allows, and its Secrets exist. */
    static void examples(Files files, String driverName) {
        int volumes = 0;
        for (int i = 0; i < EXAMPLES.size(); i++) {
            List<HasMetadata> resources = files.examples().get(i).stream().map(Manifests::resource).toList();
            for (HasMetadata resource : resources) {
                assertEquals(List.of(), UnknownFields.in(resource), EXAMPLES.get(i) + ": unknown fields");
                if (resource instanceof PersistentVolume pv) {
                    var csi = pv.getSpec().getCsi();
                    assertEquals(driverName, csi.getDriver(), EXAMPLES.get(i));
                    context(csi.getVolumeAttributes(), EXAMPLES.get(i));
                    if (csi.getNodeStageSecretRef() != null) {
                        String name = csi.getNodeStageSecretRef().getName();
                        assertTrue(resources.stream().anyMatch(r -> r instanceof Secret && r.getMetadata().getName()
                                .equals(name) && r.getMetadata().getNamespace().equals(
                                        csi.getNodeStageSecretRef().getNamespace())), "the Secret " + name + " is there");
                    }
                    volumes++;
                }
                if (resource instanceof Pod pod) {
                    for (Volume volume : pod.getSpec().getVolumes()) {
                        if (volume.getCsi() != null) {
                            assertEquals(driverName, volume.getCsi().getDriver(), EXAMPLES.get(i));
                            context(volume.getCsi().getVolumeAttributes(), EXAMPLES.get(i));
                            volumes++;
                        }
                    }
                }
            }
        }
        assertEquals(3, volumes, "a GlusterFS and an sshfs PersistentVolume, and an inline volume");
    }

    private static void context(Map<String, String> attributes, String where) {
        String fstype = attributes.get("fstype");
        assertNotNull(fstype, where + ": fstype");
        assertFalse(attributes.getOrDefault("source", "").isBlank(), where + ": source");
        List<String> allowed = defaultFstypes();
        assertTrue(allowed.contains(fstype) || allowed.contains("fuse." + fstype),
                where + ": fstype " + fstype + " is one mounterd allows by default: " + allowed);
    }

    private static List<String> defaultFstypesCache;

    /** mounterd's default fstypes, as its --help says them. */
    private static synchronized List<String> defaultFstypes() {
        if (defaultFstypesCache == null) {
            String help = String.join(" ", ProjectFacts.runMounterdHelp(Fixtures.repository()).split("\\s+"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("--no-default-policy\\): \\[([^\\]]+)\\]").matcher(help);
            assertTrue(m.find(), "mounterd --help names its default fstypes");
            defaultFstypesCache = List.of(m.group(1).trim().split(" "));
        }
        return defaultFstypesCache;
    }

    private static Container container(DaemonSet daemonSet, String name) {
        return daemonSet.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> name.equals(c.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    private static Optional<EnvVar> env(Container container, String name) {
        return container.getEnv().stream().filter(e -> name.equals(e.getName())).findFirst();
    }

    private static VolumeMount mount(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> volume.equals(m.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " does not mount " + volume));
    }

    private static String hostPath(DaemonSet daemonSet, String volume) {
        return daemonSet.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> volume.equals(v.getName()) && v.getHostPath() != null).findFirst()
                .orElseThrow(() -> new AssertionError("no hostPath volume " + volume)).getHostPath().getPath();
    }

    private static JsonNode withoutCsiEnv(Container container) {
        ObjectNode tree = Manifests.YAML.valueToTree(container);
        var env = Manifests.YAML.createArrayNode();
        tree.withArray("env").forEach(e -> {
            if (!CSI_ENV.contains(e.path("name").asText())) {
                env.add(e);
            }
        });
        tree.set("env", env);
        return tree;
    }
}

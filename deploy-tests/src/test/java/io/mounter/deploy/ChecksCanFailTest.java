package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.mounter.deploy.Manifests.DaemonSetFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A check that cannot fail is a defect: each case breaks one thing in a copy of the real
 * manifests (or of the facts they must agree with) and expects the checks to fail. The
 * unbroken copies pass, so each failure is the broken thing's.
 */
class ChecksCanFailTest {

    /** PATH: /-separated; a step into an array is an index, the element's name, or "-" to append. */
    record Edit(String path, Object value) {
        static final Object REMOVE = new Object();

        @Override
        public String toString() {
            return value == REMOVE ? "remove " + path : path + " = " + value;
        }
    }

    static Stream<Named<Edit>> brokenStaticPods() {
        return Stream.of(
                edit("label", "/metadata/labels/name", "mounter"),
                edit("hostNetwork", "/spec/hostNetwork", false),
                edit("dnsPolicy", "/spec/dnsPolicy", "ClusterFirst"),
                edit("hostPID", "/spec/hostPID", true),
                edit("no priorityClassName", "/spec/priorityClassName", Edit.REMOVE),
                edit("grace period shorter than mounterd's exit", "/spec/terminationGracePeriodSeconds", 3),
                edit("container name", "/spec/containers/mounter/name", "mount"),
                edit("image", "/spec/containers/mounter/image", "mounter:latest"),
                edit("pull policy", "/spec/containers/mounter/imagePullPolicy", "Always"),
                edit("not privileged", "/spec/containers/mounter/securityContext/privileged", false),
                edit("command overrides the entrypoint", "/spec/containers/mounter/command", List.of("mounterd")),
                edit("no requests", "/spec/containers/mounter/resources/requests", Edit.REMOVE),
                edit("memory limit without room", "/spec/containers/mounter/resources/limits/memory", "64Mi"),
                edit("cpu limit", "/spec/containers/mounter/resources/limits/cpu", "500m"),
                edit("a liveness probe", "/spec/containers/mounter/livenessProbe",
                        Map.of("httpGet", Map.of("host", "127.0.0.1", "path", "/healthz", "port", 9477))),
                edit("readiness by exec", "/spec/containers/mounter/readinessProbe",
                        Map.of("exec", Map.of("command", List.of("mounterctl", "status")))),
                edit("readiness on another port", "/spec/containers/mounter/readinessProbe/httpGet/port", 9478),
                edit("readiness not on loopback", "/spec/containers/mounter/readinessProbe/httpGet/host", Edit.REMOVE),
                edit("no readiness probe", "/spec/containers/mounter/readinessProbe", Edit.REMOVE),
                edit("/host/proc writable", "/spec/containers/mounter/volumeMounts/host-proc/readOnly", false),
                edit("/host/proc elsewhere", "/spec/containers/mounter/volumeMounts/host-proc/mountPath", "/hostproc"),
                edit("kubelet dir Bidirectional", "/spec/containers/mounter/volumeMounts/kubelet-dir/mountPropagation",
                        "Bidirectional"),
                edit("kubelet dir without propagation",
                        "/spec/containers/mounter/volumeMounts/kubelet-dir/mountPropagation", Edit.REMOVE),
                edit("/dev/fuse not a CharDevice", "/spec/volumes/dev-fuse/hostPath/type", ""),
                edit("/dev/fuse read-only", "/spec/containers/mounter/volumeMounts/dev-fuse/readOnly", true),
                edit("socket dir not created", "/spec/volumes/mounter-socket-dir/hostPath/type", "Directory"),
                edit("no state volume", "/spec/volumes/mounter-state", Edit.REMOVE),
                edit("an extra host path", "/spec/volumes/-", Map.of("name", "root", "hostPath", Map.of("path", "/"))),
                edit("install dir kubelet does not use", "/spec/volumes/host-mounter-bin/hostPath/path", "/usr/local/bin"),
                edit("config dir kubelet-mounter does not read", "/spec/volumes/host-mounter-etc/hostPath/path",
                        "/etc/kubelet-mounter"),
                edit("socket", "/spec/containers/mounter/env/MOUNTER_SOCKET/value", "/run/mounter.sock"),
                edit("host namespace", "/spec/containers/mounter/env/MOUNTER_HOST_MOUNT_NS/value", "/proc/1/ns/mnt"),
                edit("state dir", "/spec/containers/mounter/env/MOUNTER_STATE_DIR/value", "/tmp"),
                edit("install env", "/spec/containers/mounter/env/MOUNTER_INSTALL_KUBELET_MOUNTER/value", "/opt/mounter/bin"),
                edit("config env", "/spec/containers/mounter/env/MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG", Edit.REMOVE),
                edit("a typo", "/spec/containers/mounter/volumeMounts/host-proc/readOnlly", true));
    }

    static Stream<Named<Edit>> brokenDaemonSets() {
        String pod = "/1/spec/template/spec";
        return Stream.of(
                edit("namespace admits no privileged pods", "/0/metadata/labels/pod-security.kubernetes.io~1enforce",
                        "baseline"),
                edit("DaemonSet outside the Namespace", "/1/metadata/namespace", "default"),
                edit("selector", "/1/spec/selector/matchLabels/name", "other"),
                edit("toleration only NoSchedule", pod + "/tolerations/0/effect", "NoSchedule"),
                edit("no tolerations", pod + "/tolerations", Edit.REMOVE),
                edit("two nodes at once", "/1/spec/updateStrategy/rollingUpdate/maxUnavailable", 2),
                edit("surge: two mount containers on a node", "/1/spec/updateStrategy/rollingUpdate/maxSurge", 1),
                edit("OnDelete", "/1/spec/updateStrategy/type", "OnDelete"),
                edit("pod differs: env", pod + "/containers/mounter/env/MOUNTER_ARGS/value", "--allow-fstype fuse.s3fs"),
                edit("pod differs: volume", pod + "/volumes/mounter-state/hostPath/path", "/var/lib/mounterd"),
                edit("pod differs: probe", pod + "/containers/mounter/readinessProbe/periodSeconds", 30),
                edit("pod differs: spec", pod + "/hostIPC", false),
                edit("pod differs: labels", "/1/spec/template/metadata/labels/tier", "node"));
    }

    /** Edits of csi-driver/: "driver/..." in csidriver.yaml, "ds/N/..." in mounter-csi.yaml's documents. */
    static Stream<Named<Edit>> brokenCsiFiles() {
        String pod = "ds/1/spec/template/spec";
        return Stream.of(
                edit("another driver name", "driver/metadata/name", "mounter.example.com"),
                edit("attach required", "driver/spec/attachRequired", true),
                edit("no ephemeral volumes", "driver/spec/volumeLifecycleModes", List.of("Persistent")),
                edit("fsGroup chown", "driver/spec/fsGroupPolicy", "File"),
                edit("CSI door off", pod + "/containers/mounter/env/MOUNTER_ARGS/value", ""),
                edit("endpoint outside the plugin dir", pod + "/containers/mounter/env/MOUNTER_ARGS/value",
                        "--csi-endpoint /var/lib/kubelet/plugins/other/csi.sock"),
                edit("registration path differs", pod + "/containers/node-driver-registrar/args/1",
                        "--kubelet-registration-path=/var/lib/kubelet/plugins/other/csi.sock"),
                edit("sidecar address differs", pod + "/containers/liveness-probe/args/0", "--csi-address=/csi/other.sock"),
                edit("no node name", pod + "/containers/mounter/env/NODE_NAME", Edit.REMOVE),
                edit("mount container differs", pod + "/containers/mounter/imagePullPolicy", "Always"),
                edit("a liveness probe on the mount container", pod + "/containers/mounter/livenessProbe",
                        Map.of("httpGet", Map.of("path", "/healthz", "port", 9808))),
                edit("registration dir elsewhere", pod + "/volumes/registration-dir/hostPath/path", "/var/lib/kubelet/plugins"));
    }

    @ParameterizedTest
    @MethodSource("brokenCsiFiles")
    void brokenCsiFilesFail(Edit edit) {
        CsiChecks.Files files = CsiChecks.Files.read(Fixtures.repository());
        boolean driver = edit.path().startsWith("driver/");
        String rest = edit.path().substring(edit.path().indexOf('/'));
        Edit inFile = new Edit(rest, edit.value());
        CsiChecks.Files broken = driver
                ? new CsiChecks.Files(List.of(apply(files.csiDriver().get(0), inFile)), files.daemonSet(), files.examples())
                : new CsiChecks.Files(files.csiDriver(), list(apply(array(files.daemonSet()), inFile)), files.examples());
        assertThrows(AssertionError.class, () -> CsiChecks.all(broken, Manifests.daemonSetFile(Fixtures.repository()),
                Fixtures.facts()), "the checks pass with " + edit);
    }

    @Test
    void unbrokenCsiFilesPass() {
        assertDoesNotThrow(() -> CsiChecks.all(CsiChecks.Files.read(Fixtures.repository()),
                Manifests.daemonSetFile(Fixtures.repository()), Fixtures.facts()));
    }

    private static JsonNode array(List<JsonNode> documents) {
        ArrayNode array = Manifests.YAML.createArrayNode();
        documents.forEach(array::add);
        return array;
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> documents = new ArrayList<>();
        array.forEach(documents::add);
        return documents;
    }

    static Stream<Named<ProjectFacts>> otherFacts() {
        ProjectFacts facts = Fixtures.facts();
        Map<String, String> otherSocket = new HashMap<>(facts.mounterdDefaults());
        otherSocket.put("--socket", "/run/mounterd/mounterd.sock");
        Map<String, String> otherNamespace = new HashMap<>(facts.mounterdDefaults());
        otherNamespace.put("--host-mount-ns", "/host/proc/2/ns/mnt");
        return Stream.of(
                Named.of("another image", new ProjectFacts("mounter:0.2.0", facts.mounterdDefaults(),
                        facts.kubeletMounterPaths(), facts.kubeletMounterConfig(), facts.defaultRoutes(), "test")),
                Named.of("another mounterd socket", new ProjectFacts(facts.image(), otherSocket,
                        facts.kubeletMounterPaths(), facts.kubeletMounterConfig(), facts.defaultRoutes(), "test")),
                Named.of("another host namespace", new ProjectFacts(facts.image(), otherNamespace,
                        facts.kubeletMounterPaths(), facts.kubeletMounterConfig(), facts.defaultRoutes(), "test")),
                Named.of("kubelet runs it from elsewhere", new ProjectFacts(facts.image(), facts.mounterdDefaults(),
                        List.of("/home/kubernetes/bin/kubelet-mounter"), facts.kubeletMounterConfig(),
                        facts.defaultRoutes(), "test")),
                Named.of("kubelet-mounter reads another config", new ProjectFacts(facts.image(), facts.mounterdDefaults(),
                        facts.kubeletMounterPaths(), "/etc/kubelet-mounter/kubelet-mounter.conf",
                        facts.defaultRoutes(), "test")),
                Named.of("route selects another label", new ProjectFacts(facts.image(), facts.mounterdDefaults(),
                        facts.kubeletMounterPaths(), facts.kubeletMounterConfig(),
                        List.of(MountRoute.parse("glusterfs:app=glusterfs-mounter:mounter")), "test")),
                Named.of("route names another container", new ProjectFacts(facts.image(), facts.mounterdDefaults(),
                        facts.kubeletMounterPaths(), facts.kubeletMounterConfig(),
                        List.of(MountRoute.parse("glusterfs:name=glusterfs-mounter:glusterfs")), "test")));
    }

    @Test
    void unbrokenManifestsPass() {
        assertDoesNotThrow(() -> checkStaticPod(staticPodDocument()));
        assertDoesNotThrow(() -> checkDaemonSetFile(daemonSetDocuments()));
    }

    @ParameterizedTest
    @MethodSource("brokenStaticPods")
    void brokenStaticPodFails(Edit edit) {
        JsonNode broken = apply(staticPodDocument(), edit);
        assertThrows(AssertionError.class, () -> checkStaticPod(broken), "the checks pass with " + edit);
    }

    @ParameterizedTest
    @MethodSource("brokenDaemonSets")
    void brokenDaemonSetFails(Edit edit) {
        JsonNode broken = apply(daemonSetDocuments(), edit);
        assertThrows(AssertionError.class, () -> checkDaemonSetFile(broken), "the checks pass with " + edit);
    }

    @ParameterizedTest
    @MethodSource("otherFacts")
    void disagreementWithTheProjectFails(ProjectFacts facts) {
        Pod pod = Manifests.staticPod(List.of(staticPodDocument()));
        assertThrows(AssertionError.class, () -> ConsistencyChecks.all(Manifests.mountPod(pod), facts),
                "the checks pass with " + facts);
    }

    private static void checkStaticPod(JsonNode document) {
        Pod pod = Manifests.staticPod(List.of(document));
        assertEquals(List.of(), UnknownFields.in(pod), "unknown fields");
        MountPodChecks.all(Manifests.mountPod(pod), Fixtures.facts());
    }

    private static void checkDaemonSetFile(JsonNode documents) {
        List<JsonNode> list = new ArrayList<>();
        documents.forEach(list::add);
        DaemonSetFile file = Manifests.daemonSetFile(list);
        assertEquals(List.of(), UnknownFields.in(file.daemonSet()), "unknown fields");
        MountPodChecks.all(file.pod(), Fixtures.facts());
        DaemonSetChecks.all(file, Manifests.staticPod(Fixtures.repository()));
    }

    private static JsonNode staticPodDocument() {
        List<JsonNode> documents = Manifests.documents(Fixtures.repository(), Manifests.STATIC_POD);
        assertEquals(1, documents.size());
        return documents.get(0);
    }

    /** The DaemonSet file's documents as one array, so an edit path can start with the document's index. */
    private static JsonNode daemonSetDocuments() {
        ArrayNode documents = Manifests.YAML.createArrayNode();
        Manifests.documents(Fixtures.repository(), Manifests.DAEMON_SET).forEach(documents::add);
        return documents;
    }

    private static Named<Edit> edit(String name, String path, Object value) {
        return Named.of(name, new Edit(path, value));
    }

    /** A copy of root with the edit made; fails when the path does not lead anywhere (a stale case). */
    private static JsonNode apply(JsonNode root, Edit edit) {
        JsonNode copy = root.deepCopy();
        String[] steps = edit.path().substring(1).split("/");
        JsonNode parent = copy;
        for (int i = 0; i < steps.length - 1; i++) {
            parent = step(parent, unescape(steps[i]), edit.path());
        }
        String last = unescape(steps[steps.length - 1]);
        JsonNode value = edit.value() == Edit.REMOVE ? null : Manifests.YAML.valueToTree(edit.value());
        if (parent instanceof ObjectNode object) {
            if (value == null) {
                assertTrue(object.has(last), "nothing to remove at " + edit.path());
                object.remove(last);
            } else {
                object.set(last, value);
            }
        } else if (parent instanceof ArrayNode array) {
            if (last.equals("-")) {
                array.add(value);
            } else {
                int index = indexOf(array, last, edit.path());
                if (value == null) {
                    array.remove(index);
                } else {
                    array.set(index, value);
                }
            }
        } else {
            throw new AssertionError("cannot edit below a value: " + edit.path());
        }
        return copy;
    }

    private static JsonNode step(JsonNode node, String step, String path) {
        JsonNode next = node.isArray() ? node.get(indexOf((ArrayNode) node, step, path)) : node.get(step);
        if (next == null) {
            throw new IllegalStateException("no " + step + " on the way to " + path + ": the case is stale");
        }
        return next;
    }

    private static int indexOf(ArrayNode array, String step, String path) {
        if (step.chars().allMatch(Character::isDigit)) {
            return Integer.parseInt(step);
        }
        for (int i = 0; i < array.size(); i++) {
            if (step.equals(array.get(i).path("name").asText(null))) {
                return i;
            }
        }
        throw new IllegalStateException("no element named " + step + " on the way to " + path + ": the case is stale");
    }

    private static String unescape(String step) {
        return step.replace("~1", "/").replace("~0", "~");
    }
}

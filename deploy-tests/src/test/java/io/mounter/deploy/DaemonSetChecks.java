package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDaemonSet;
import io.mounter.deploy.Manifests.DaemonSetFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What only the DaemonSet file has, and its pod against the static pod's. */
final class DaemonSetChecks {

    static final String NAMESPACE = "mounter-system";

    /**
     * Pod spec fields in which the DaemonSet's pod may differ from the static pod: a static
     * pod is never scheduled (no tolerations) and has no service account token to refuse.
     */
    static final Set<String> ALLOWED_DIFFERENCES = Set.of("tolerations", "automountServiceAccountToken");

    private DaemonSetChecks() {
    }

    static void all(DaemonSetFile file, Pod staticPod) {
        assertAll(Manifests.DAEMON_SET,
                () -> namespace(file),
                () -> selector(file),
                () -> tolerations(file),
                () -> updateStrategy(file),
                () -> sameAsStaticPod(file, staticPod));
    }

    static void namespace(DaemonSetFile file) {
        assertAll("namespace",
                () -> assertEquals(NAMESPACE, file.namespace().getMetadata().getName(), "Namespace name"),
                () -> assertEquals(NAMESPACE, file.daemonSet().getMetadata().getNamespace(), "DaemonSet namespace"),
                // a privileged pod with host paths is refused under the baseline and restricted levels
                () -> assertEquals("privileged", file.namespace().getMetadata().getLabels()
                        .get("pod-security.kubernetes.io/enforce"), "Namespace pod-security.kubernetes.io/enforce"));
    }

    /** The selector picks the template's pods, by the label kubelet-mounter looks for too. */
    static void selector(DaemonSetFile file) {
        DaemonSet daemonSet = file.daemonSet();
        assertNotNull(daemonSet.getSpec().getSelector(), "selector");
        Map<String, String> matchLabels = daemonSet.getSpec().getSelector().getMatchLabels();
        Map<String, String> templateLabels = daemonSet.getSpec().getTemplate().getMetadata().getLabels();
        assertAll("selector",
                () -> assertEquals(MountPodChecks.LABEL_VALUE, matchLabels.get(MountPodChecks.LABEL_KEY),
                        "selector.matchLabels." + MountPodChecks.LABEL_KEY),
                () -> assertTrue(daemonSet.getSpec().getSelector().getMatchExpressions().isEmpty(), "matchExpressions"),
                () -> matchLabels.forEach((key, value) -> assertEquals(value, templateLabels.get(key),
                        "template label " + key + " the selector wants")));
    }

    /** Runs on every node, whatever its taints: one toleration with operator Exists and nothing else. */
    static void tolerations(DaemonSetFile file) {
        List<Toleration> tolerations = file.daemonSet().getSpec().getTemplate().getSpec().getTolerations();
        assertEquals(1, tolerations.size(), "tolerations: " + tolerations);
        Toleration toleration = tolerations.get(0);
        assertAll("toleration",
                () -> assertEquals("Exists", toleration.getOperator(), "operator"),
                () -> assertNull(toleration.getKey(), "key (none: every taint)"),
                () -> assertNull(toleration.getEffect(), "effect (none: NoSchedule and NoExecute)"),
                () -> assertNull(toleration.getTolerationSeconds(), "tolerationSeconds (none: never evicted)"));
    }

    static void updateStrategy(DaemonSetFile file) {
        var strategy = file.daemonSet().getSpec().getUpdateStrategy();
        assertNotNull(strategy, "updateStrategy");
        RollingUpdateDaemonSet rolling = strategy.getRollingUpdate();
        assertAll("updateStrategy",
                () -> assertEquals("RollingUpdate", strategy.getType(), "type"),
                () -> assertNotNull(rolling, "rollingUpdate"),
                () -> assertEquals(new IntOrString(1), rolling.getMaxUnavailable(), "maxUnavailable"),
                // two mount containers on one node would share the socket and the state directory
                () -> assertTrue(rolling.getMaxSurge() == null || new IntOrString(0).equals(rolling.getMaxSurge()),
                        "maxSurge " + rolling.getMaxSurge() + " (must be 0)"));
    }

    /** Same labels, containers, volumes and other pod settings, apart from ALLOWED_DIFFERENCES. */
    static void sameAsStaticPod(DaemonSetFile file, Pod staticPod) {
        ObjectNode daemonSetSpec = Manifests.YAML.valueToTree(file.daemonSet().getSpec().getTemplate().getSpec());
        ObjectNode staticSpec = Manifests.YAML.valueToTree(staticPod.getSpec());
        daemonSetSpec.remove(ALLOWED_DIFFERENCES);
        staticSpec.remove(ALLOWED_DIFFERENCES);
        List<String> differences = new ArrayList<>();
        differences(Manifests.YAML.valueToTree(staticPod.getMetadata().getLabels()),
                Manifests.YAML.valueToTree(file.daemonSet().getSpec().getTemplate().getMetadata().getLabels()),
                "metadata.labels", differences);
        differences(staticSpec, daemonSetSpec, "spec", differences);
        assertEquals(List.of(), differences, "the DaemonSet's pod vs " + Manifests.STATIC_POD);
    }

    /**
     * "PATH: static pod X, DaemonSet Y" for each difference; array elements with a name
     * (containers, volumes, env, mounts) are paired by it, so a difference names the field.
     */
    private static void differences(JsonNode expected, JsonNode actual, String path, List<String> found) {
        if (expected != null && actual != null && expected.isObject() && actual.isObject()) {
            Set<String> fields = new TreeSet<>();
            expected.fieldNames().forEachRemaining(fields::add);
            actual.fieldNames().forEachRemaining(fields::add);
            for (String field : fields) {
                differences(expected.get(field), actual.get(field), path + "." + field, found);
            }
        } else if (expected != null && actual != null && expected.isArray() && actual.isArray()
                && expected.size() == actual.size()) {
            for (int i = 0; i < expected.size(); i++) {
                String name = expected.get(i).path("name").asText("");
                String element = name.equals(actual.get(i).path("name").asText("")) && !name.isEmpty()
                        ? "[" + name + "]" : "[" + i + "]";
                differences(expected.get(i), actual.get(i), path + element, found);
            }
        } else if (expected == null ? actual != null : !expected.equals(actual)) {
            found.add(path + ": static pod " + expected + ", DaemonSet " + actual);
        }
    }
}

package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mounter.deploy.Manifests.DaemonSetFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** static-pods/mounter-daemonset.yaml: what only a DaemonSet has, and its pod against the static pod. */
class DaemonSetManifestTest {

    private final DaemonSetFile file = Manifests.daemonSetFile(Fixtures.repository());

    @Test
    void isANamespaceAndADaemonSetInIt() {
        assertEquals("apps/v1", file.daemonSet().getApiVersion());
        assertEquals("glusterfs-mounter", file.daemonSet().getMetadata().getName());
        DaemonSetChecks.namespace(file);
    }

    @Test
    void namesOnlyFieldsTheApiHas() {
        assertEquals(List.of(), UnknownFields.in(file.namespace()), "Namespace: fields unknown to the Kubernetes API");
        assertEquals(List.of(), UnknownFields.in(file.daemonSet()), "DaemonSet: fields unknown to the Kubernetes API");
    }

    @Test
    void selectorMatchesTheTemplate() {
        DaemonSetChecks.selector(file);
    }

    @Test
    void toleratesEveryTaint() {
        DaemonSetChecks.tolerations(file);
    }

    @Test
    void rollsOneNodeAtATimeWithoutSurge() {
        DaemonSetChecks.updateStrategy(file);
    }

    @Test
    void podIsTheStaticPod() {
        DaemonSetChecks.sameAsStaticPod(file, Manifests.staticPod(Fixtures.repository()));
    }
}

package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

/** static-pods/mounter.yaml as a static pod; the pod spec itself is checked by MountPodTest. */
class StaticPodManifestTest {

    private final Pod pod = Manifests.staticPod(Fixtures.repository());

    @Test
    void isAPodInKubeSystem() {
        assertEquals("v1", pod.getApiVersion());
        assertEquals("Pod", pod.getKind());
        assertEquals("glusterfs-mounter", pod.getMetadata().getName());
        assertEquals("kube-system", pod.getMetadata().getNamespace());
    }

    @Test
    void namesOnlyFieldsTheApiHas() {
        assertEquals(List.of(), UnknownFields.in(pod), "fields unknown to the Kubernetes API");
    }

    /** kubelet runs static pods without the API server: they may not use API objects. */
    @Test
    void usesNothingOnlyTheApiServerHas() {
        var spec = pod.getSpec();
        assertNull(spec.getServiceAccountName(), "serviceAccountName");
        assertTrue(spec.getVolumes().stream().allMatch(volume -> volume.getHostPath() != null),
                "volumes other than hostPath (secrets, configMaps, ...) are not available to a static pod");
        assertTrue(spec.getTolerations().isEmpty(), "tolerations: a static pod is never scheduled");
    }
}

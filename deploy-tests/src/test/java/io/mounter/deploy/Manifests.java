package io.mounter.deploy;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the manifests of static-pods/ into the Kubernetes API model (fabric8's classes are
 * Jackson-annotated, so Jackson's YAML reader fills them directly). Each YAML document is
 * first read as a tree, so tests can also break one field on purpose and convert again.
 */
final class Manifests {

    static final String STATIC_POD = "static-pods/mounter.yaml";
    static final String DAEMON_SET = "static-pods/mounter-daemonset.yaml";

    /** A duplicated key would otherwise let the last one win silently. */
    static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /** The kinds these manifests may hold, by "apiVersion/kind". */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Pod", Pod.class,
            "v1/Namespace", Namespace.class,
            "apps/v1/DaemonSet", DaemonSet.class,
            "storage.k8s.io/v1/CSIDriver", CSIDriver.class,
            "v1/PersistentVolume", PersistentVolume.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "v1/Secret", Secret.class);

    private Manifests() {
    }

    /** A pod spec to check, with the metadata that carries its labels and where it came from. */
    record MountPod(String source, ObjectMeta metadata, PodSpec spec) {
        @Override
        public String toString() {
            return source;
        }
    }

    /** The DaemonSet file: its Namespace and the DaemonSet, in that order. */
    record DaemonSetFile(Namespace namespace, DaemonSet daemonSet) {
        MountPod pod() {
            return new MountPod(DAEMON_SET + " (pod template)",
                    daemonSet.getSpec().getTemplate().getMetadata(), daemonSet.getSpec().getTemplate().getSpec());
        }
    }

    static List<JsonNode> documents(RepositoryFiles repository, String relative) {
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(repository.path(relative).toFile())) {
            List<JsonNode> result = new ArrayList<>();
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    result.add(document);
                }
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + relative, e);
        }
    }

    /** One document as the model class its apiVersion and kind name; fails on any other kind. */
    static HasMetadata resource(JsonNode document) {
        String key = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(key);
        if (type == null) {
            throw new AssertionError("unexpected apiVersion/kind " + key + " (expected one of " + KINDS.keySet() + ")");
        }
        try {
            return YAML.treeToValue(document, type);
        } catch (IOException e) {
            throw new AssertionError("document " + key + " does not fit the model: " + e.getMessage(), e);
        }
    }

    static <T extends HasMetadata> T resource(JsonNode document, Class<T> type) {
        HasMetadata resource = resource(document);
        if (!type.isInstance(resource)) {
            throw new AssertionError("expected a " + type.getSimpleName() + ", found " + resource.getKind());
        }
        return type.cast(resource);
    }

    static Pod staticPod(List<JsonNode> documents) {
        if (documents.size() != 1) {
            throw new AssertionError(STATIC_POD + " should hold one document, holds " + documents.size());
        }
        return resource(documents.get(0), Pod.class);
    }

    static DaemonSetFile daemonSetFile(List<JsonNode> documents) {
        if (documents.size() != 2) {
            throw new AssertionError(DAEMON_SET + " should hold a Namespace and a DaemonSet, holds "
                    + documents.size() + " documents");
        }
        return new DaemonSetFile(resource(documents.get(0), Namespace.class), resource(documents.get(1), DaemonSet.class));
    }

    static Pod staticPod(RepositoryFiles repository) {
        return staticPod(documents(repository, STATIC_POD));
    }

    static DaemonSetFile daemonSetFile(RepositoryFiles repository) {
        return daemonSetFile(documents(repository, DAEMON_SET));
    }

    static MountPod mountPod(Pod pod) {
        return new MountPod(STATIC_POD, pod.getMetadata(), pod.getSpec());
    }
}

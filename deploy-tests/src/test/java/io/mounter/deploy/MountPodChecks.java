package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.mounter.deploy.Manifests.MountPod;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.function.Executable;

/**
 * The mount container's pod as the image contract wants it, checked the same way for the
 * static pod and the DaemonSet's template. Each method throws an AssertionError naming the
 * manifest and every point that is off.
 */
final class MountPodChecks {

    static final String LABEL_KEY = "name";
    static final String LABEL_VALUE = "glusterfs-mounter";
    static final String CONTAINER = "mounter";
    /** kubelet's GET of mounterd's status endpoint, at mounterd's --http-listen default. */
    static final String PROBE_HOST = "127.0.0.1";
    static final String PROBE_PATH = "/healthz";
    /** mounterd exits within 5 s of SIGTERM; kubelet must wait longer than that. */
    static final long MOUNTERD_EXIT_SECONDS = 5;
    /** Room for mounterd, a mounterctl JVM and a few FUSE daemons, which share the memory limit. */
    static final BigDecimal MIN_MEMORY_LIMIT = Quantity.getAmountInBytes(new Quantity("256Mi"));

    /** The environment the entrypoint reads, with the values the contract's paths give. */
    static final Map<String, String> ENV = orderedMap(
            "MOUNTER_SOCKET", "/run/mounter/mounter.sock",
            "MOUNTER_HOST_MOUNT_NS", "/host/proc/1/ns/mnt",
            "MOUNTER_STATE_DIR", "/var/lib/mounter",
            "MOUNTER_INSTALL_KUBELET_MOUNTER", "/host/opt/mounter/bin",
            "MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG", "/host/etc/mounter");

    /**
     * One host path the pod mounts. readOnly null: either; propagation null: none.
     */
    record HostPathMount(String hostPath, String type, String mountPath, Boolean readOnly, String propagation) {
    }

    /** Every host path the pod may see, and no other: each one widens what the pod reaches on the node. */
    static final List<HostPathMount> HOST_PATHS = List.of(
            // the host's procfs, for /host/proc/1/ns/mnt: nothing is written there
            new HostPathMount("/proc", "Directory", "/host/proc", true, null),
            // helpers stat mountpoints; later host mounts must show, nothing may leak back
            new HostPathMount("/var/lib/kubelet", "Directory", "/var/lib/kubelet", null, "HostToContainer"),
            // opened read-write by FUSE helpers (a read-only mount would give EROFS)
            new HostPathMount("/dev/fuse", "CharDevice", "/dev/fuse", false, null),
            new HostPathMount("/run/mounter", "DirectoryOrCreate", "/run/mounter", false, null),
            new HostPathMount("/var/lib/mounter", "DirectoryOrCreate", "/var/lib/mounter", false, null),
            new HostPathMount("/opt/mounter/bin", "DirectoryOrCreate", "/host/opt/mounter/bin", false, null),
            new HostPathMount("/etc/mounter", "DirectoryOrCreate", "/host/etc/mounter", false, null));

    private MountPodChecks() {
    }

    /** Every check of this class and of the consistency with the rest of the project. */
    static void all(MountPod pod, ProjectFacts facts) {
        assertAll(pod.source(),
                () -> labels(pod),
                () -> podSpec(pod),
                () -> container(pod),
                () -> resources(pod),
                () -> probes(pod, facts),
                () -> volumes(pod),
                () -> environment(pod),
                () -> ConsistencyChecks.all(pod, facts));
    }

    static void labels(MountPod pod) {
        Map<String, String> labels = pod.metadata() == null ? null : pod.metadata().getLabels();
        assertNotNull(labels, pod + ": no labels");
        assertEquals(LABEL_VALUE, labels.get(LABEL_KEY), pod + ": label " + LABEL_KEY);
    }

    static void podSpec(MountPod pod) {
        var spec = pod.spec();
        assertAll(pod + ": pod spec",
                () -> assertEquals(Boolean.TRUE, spec.getHostNetwork(), "hostNetwork"),
                () -> assertEquals("ClusterFirstWithHostNet", spec.getDnsPolicy(), "dnsPolicy"),
                // its own PID namespace: mounterd reaches the host through /host/proc
                () -> assertNotEquals(Boolean.TRUE, spec.getHostPID(), "hostPID"),
                () -> assertNotEquals(Boolean.TRUE, spec.getHostIPC(), "hostIPC"),
                () -> assertEquals("system-node-critical", spec.getPriorityClassName(), "priorityClassName"),
                () -> {
                    Long grace = spec.getTerminationGracePeriodSeconds();
                    assertNotNull(grace, "terminationGracePeriodSeconds");
                    assertTrue(grace > MOUNTERD_EXIT_SECONDS && grace <= 30,
                            "terminationGracePeriodSeconds " + grace + " should exceed mounterd's "
                                    + MOUNTERD_EXIT_SECONDS + " s exit and stay short (<= 30)");
                },
                () -> assertEquals(List.of(CONTAINER), spec.getContainers().stream().map(Container::getName).toList(),
                        "containers"),
                () -> assertTrue(spec.getInitContainers().isEmpty(), "initContainers: none expected"));
    }

    static void container(MountPod pod) {
        Container container = theContainer(pod);
        assertAll(pod + ": container " + CONTAINER,
                () -> assertEquals("IfNotPresent", container.getImagePullPolicy(), "imagePullPolicy"),
                () -> assertNotNull(container.getSecurityContext(), "securityContext"),
                () -> assertEquals(Boolean.TRUE, container.getSecurityContext().getPrivileged(), "privileged"),
                // the image's ENTRYPOINT (tini, then the entrypoint that reads the environment) must run
                () -> assertTrue(container.getCommand().isEmpty(), "command overrides the image's entrypoint"),
                () -> assertTrue(container.getArgs().isEmpty(), "args would reach the entrypoint, which takes none"));
    }

    static void resources(MountPod pod) {
        Container container = theContainer(pod);
        assertNotNull(container.getResources(), pod + ": resources");
        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        assertAll(pod + ": resources",
                () -> assertPositive(requests, "cpu", "requests"),
                () -> assertPositive(requests, "memory", "requests"),
                () -> assertPositive(limits, "memory", "limits"),
                () -> {
                    BigDecimal limit = Quantity.getAmountInBytes(limits.get("memory"));
                    assertTrue(limit.compareTo(MIN_MEMORY_LIMIT) >= 0,
                            "limits.memory " + limits.get("memory") + " leaves no room for FUSE daemons (>= 256Mi)");
                    assertTrue(limit.compareTo(Quantity.getAmountInBytes(requests.get("memory"))) >= 0,
                            "limits.memory below requests.memory");
                },
                // a CPU limit would throttle the FUSE daemons, and so every pod's I/O on their mounts
                () -> assertTrue(limits == null || !limits.containsKey("cpu"), "limits.cpu: none expected"));
    }

    /**
     * No liveness probe: a container restart ends every FUSE daemon in it, and mounter-init
     * already mends a dead or hung mounterd. Readiness: an HTTP GET of /healthz on loopback,
     * which starts no process in the container, at the port mounterd listens on by default.
     */
    static void probes(MountPod pod, ProjectFacts facts) {
        Container container = theContainer(pod);
        Probe probe = container.getReadinessProbe();
        assertAll(pod + ": probes",
                () -> assertNull(container.getLivenessProbe(),
                        "livenessProbe: a restart would end every FUSE daemon; mounter-init mends mounterd"),
                () -> assertNull(container.getStartupProbe(), "startupProbe: gates only a liveness probe"),
                () -> {
                    assertNotNull(probe, "readinessProbe");
                    assertNotNull(probe.getHttpGet(), "readinessProbe.httpGet (an exec probe starts a process)");
                    int period = orDefault(probe.getPeriodSeconds(), 10);
                    int timeout = orDefault(probe.getTimeoutSeconds(), 1);
                    int failures = orDefault(probe.getFailureThreshold(), 3);
                    assertAll("readinessProbe",
                            () -> assertEquals(PROBE_HOST, probe.getHttpGet().getHost(), "httpGet.host"),
                            () -> assertEquals(PROBE_PATH, probe.getHttpGet().getPath(), "httpGet.path"),
                            () -> assertEquals(facts.statusPort(), probe.getHttpGet().getPort().getIntVal(),
                                    "httpGet.port: mounterd's --http-listen"),
                            () -> assertTrue(period >= 5 && period <= 60, "periodSeconds " + period),
                            () -> assertTrue(timeout >= 1 && timeout < period, "timeoutSeconds " + timeout),
                            () -> assertTrue(failures >= 2, "failureThreshold " + failures));
                });
    }

    static void volumes(MountPod pod) {
        Container container = theContainer(pod);
        List<Volume> volumes = pod.spec().getVolumes();
        Map<String, Volume> byName = volumes.stream().collect(Collectors.toMap(Volume::getName, Function.identity(),
                (first, second) -> fail(pod + ": two volumes named " + first.getName())));
        List<Executable> checks = new ArrayList<>();
        for (HostPathMount expected : HOST_PATHS) {
            checks.add(() -> hostPathMount(expected, volumes, container.getVolumeMounts()));
        }
        checks.add(() -> assertEquals(
                HOST_PATHS.stream().map(HostPathMount::hostPath).sorted().toList(),
                volumes.stream().map(volume -> volume.getHostPath() == null ? "(not a hostPath: " + volume.getName() + ")"
                        : volume.getHostPath().getPath()).sorted().toList(),
                "the pod's volumes: exactly these host paths"));
        checks.add(() -> {
            for (VolumeMount mount : container.getVolumeMounts()) {
                assertTrue(byName.containsKey(mount.getName()), "volumeMount of an undeclared volume " + mount.getName());
                assertTrue(mount.getSubPath() == null && mount.getSubPathExpr() == null, "subPath on " + mount.getName());
            }
        });
        assertAll(pod + ": volumes", checks.stream());
    }

    private static void hostPathMount(HostPathMount expected, List<Volume> volumes, List<VolumeMount> mounts) {
        String what = "hostPath " + expected.hostPath();
        List<Volume> matching = volumes.stream()
                .filter(volume -> volume.getHostPath() != null && expected.hostPath().equals(volume.getHostPath().getPath()))
                .toList();
        assertEquals(1, matching.size(), what + ": volumes");
        Volume volume = matching.get(0);
        HostPathVolumeSource source = volume.getHostPath();
        List<VolumeMount> volumeMounts = mounts.stream().filter(mount -> volume.getName().equals(mount.getName())).toList();
        assertEquals(1, volumeMounts.size(), what + ": mounts of volume " + volume.getName());
        VolumeMount mount = volumeMounts.get(0);
        assertAll(what,
                () -> assertEquals(expected.type(), source.getType(), what + ": type"),
                () -> assertEquals(expected.mountPath(), mount.getMountPath(), what + ": mountPath"),
                () -> {
                    if (expected.readOnly() != null) {
                        assertEquals(expected.readOnly(), Boolean.TRUE.equals(mount.getReadOnly()), what + ": readOnly");
                    }
                },
                () -> assertEquals(Optional.ofNullable(expected.propagation()).orElse("None"),
                        Optional.ofNullable(mount.getMountPropagation()).orElse("None"), what + ": mountPropagation"));
    }

    static void environment(MountPod pod) {
        Container container = theContainer(pod);
        Map<String, EnvVar> env = container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName,
                Function.identity(), (first, second) -> fail(pod + ": env " + first.getName() + " set twice")));
        List<Executable> checks = new ArrayList<>();
        ENV.forEach((name, value) -> checks.add(() -> {
            EnvVar variable = env.get(name);
            assertNotNull(variable, "env " + name);
            assertEquals(value, variable.getValue(), "env " + name);
            assertNull(variable.getValueFrom(), "env " + name + ": valueFrom");
        }));
        checks.add(() -> assertTrue(container.getEnvFrom().isEmpty(), "envFrom: none expected"));
        assertAll(pod + ": env", checks.stream());
    }

    static Container theContainer(MountPod pod) {
        List<Container> containers = pod.spec().getContainers().stream()
                .filter(container -> CONTAINER.equals(container.getName())).toList();
        assertEquals(1, containers.size(), pod + ": containers named " + CONTAINER);
        return containers.get(0);
    }

    /** The volume mounted at mountPath in the container, if it is a hostPath volume. */
    static Optional<Volume> hostPathVolumeAt(MountPod pod, String mountPath) {
        return theContainer(pod).getVolumeMounts().stream()
                .filter(mount -> mountPath.equals(mount.getMountPath()))
                .flatMap(mount -> pod.spec().getVolumes().stream().filter(volume -> volume.getName().equals(mount.getName())))
                .filter(volume -> volume.getHostPath() != null)
                .findFirst();
    }

    static String env(MountPod pod, String name) {
        return theContainer(pod).getEnv().stream().filter(variable -> name.equals(variable.getName()))
                .map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(pod + ": no env " + name));
    }

    private static void assertPositive(Map<String, Quantity> quantities, String resource, String kind) {
        assertNotNull(quantities, kind);
        Quantity quantity = quantities.get(resource);
        assertNotNull(quantity, kind + "." + resource);
        assertTrue(Quantity.getAmountInBytes(quantity).signum() > 0, kind + "." + resource + " " + quantity);
    }

    private static int orDefault(Integer value, int kubernetesDefault) {
        return value == null ? kubernetesDefault : value;
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}

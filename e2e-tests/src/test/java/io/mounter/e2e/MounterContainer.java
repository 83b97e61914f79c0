package io.mounter.e2e;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.DockerObject;
import com.github.dockerjava.api.model.HostConfig;
import io.mounter.node.CommandResult;
import io.mounter.node.NamespaceMounts;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The mount container image run by the Docker engine, as a static pod runs it: its
 * entrypoint (mounter-init, then mounterd), the host's /proc at /host/proc, /dev/fuse, and the
 * power of a privileged container. Started through Testcontainers, which never pulls it
 * (it is built here, and no registry is reachable); commands in it run through the docker
 * CLI, as people and kubelet-mounter run them.
 *
 * <p>{@code --privileged} fails on this machine (its bounding set lacks CAP_SYS_RESOURCE,
 * docs/kernel-notes.md), so the same power is spelled out: every capability but that one, no
 * seccomp or AppArmor profile, no masked or read-only /proc paths, and /dev/fuse.
 */
final class MounterContainer implements AutoCloseable {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    /**
     * What to run: the container's name, labels, environment, bind mounts
     * ({@code HOST:CONTAINER[:ro]}) and network ({@code none}: a network namespace of its
     * own with only lo; {@code container:ID}: another container's).
     */
    record Spec(String name, Map<String, String> labels, Map<String, String> environment, List<String> binds,
                String network) {
        Spec {
            labels = Map.copyOf(labels);
            environment = Map.copyOf(environment);
            binds = List.copyOf(binds);
        }

        static Spec named(String name) {
            return new Spec(name, Map.of(), Map.of(), List.of(), "none");
        }

        Spec withLabel(String key, String value) {
            Map<String, String> more = new LinkedHashMap<>(labels);
            more.put(key, value);
            return new Spec(name, more, environment, binds, network);
        }

        Spec withEnv(String key, String value) {
            Map<String, String> more = new LinkedHashMap<>(environment);
            more.put(key, value);
            return new Spec(name, labels, more, binds, network);
        }

        /** Binds a path of this machine (as dockerd's mount namespace sees it) into the container. */
        Spec withBind(Path hostPath, String containerPath, boolean readOnly) {
            List<String> more = new ArrayList<>(binds);
            more.add(hostPath + ":" + containerPath + (readOnly ? ":ro" : ""));
            return new Spec(name, labels, environment, more, network);
        }

        Spec withNetwork(String mode) {
            return new Spec(name, labels, environment, binds, mode);
        }
    }

    private final Spec spec;
    private final GenericContainer<?> container;
    private final long initPid;

    private MounterContainer(Spec spec, GenericContainer<?> container, long initPid) {
        this.spec = spec;
        this.container = container;
        this.initPid = initPid;
    }

    /**
     * Creates and starts the container and waits until mounterd answers {@code mounterctl status}.
     * Throws IllegalStateException, with the container's log, if it does not get there;
     * the container is removed then.
     */
    static MounterContainer start(Spec spec) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(DockerEngine.image()))
                .withImagePullPolicy(image -> false)
                // a network namespace with only lo (its own, or a sandbox's): nothing the
                // container does reaches the machine's network
                .withNetworkMode(spec.network())
                .withLabels(spec.labels())
                .withEnv(spec.environment())
                .withCreateContainerCmdModifier(create -> configure(create, spec))
                // the static pod's liveness probe: exits 0 only while mounterd answers
                .waitingFor(Wait.forSuccessfulCommand("mounterctl status").withStartupTimeout(STARTUP_TIMEOUT));
        try {
            container.start();
            requireUnconfinedSystemPaths(container.getContainerId());
            Long pid = container.getContainerInfo().getState().getPidLong();
            if (pid == null || pid <= 0) {
                throw new IllegalStateException("docker reports no init pid for " + spec.name());
            }
            return new MounterContainer(spec, container, pid);
        } catch (RuntimeException e) {
            String log = logsQuietly(container);
            stopQuietly(container);
            throw new IllegalStateException("the mount container " + spec.name() + " did not start: " + e.getMessage()
                    + "\ncontainer log:\n" + log, e);
        }
    }

    private static void configure(CreateContainerCmd create, Spec spec) {
        create.withName(spec.name());
        HostConfig host = create.getHostConfig() == null ? HostConfig.newHostConfig() : create.getHostConfig();
        host.withCapAdd(Capability.ALL)
                .withCapDrop(Capability.SYS_RESOURCE)
                .withSecurityOpts(List.of("seccomp=unconfined", "apparmor=unconfined"))
                .withDevices(Device.parse("/dev/fuse"))
                .withBinds(spec.binds().stream().map(Bind::parse).toList());
        // `--security-opt systempaths=unconfined` is the docker CLI's name for these two
        // empty lists (dockerd itself refuses that option)
        putRawValue(host, "MaskedPaths", List.of());
        putRawValue(host, "ReadonlyPaths", List.of());
        create.withHostConfig(host);
    }

    /**
     * docker-java 3.4 has no fields for some of the engine's settings, but serializes the
     * raw values of every object (DockerObject's {@code @JsonAnyGetter}); its getter returns
     * a read-only view, so the map is reached by reflection. {@link #start} checks in
     * {@code docker inspect} that the engine got them.
     */
    private static void putRawValue(DockerObject object, String key, Object value) {
        try {
            Field raw = DockerObject.class.getDeclaredField("rawValues");
            raw.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<String, Object> values = (Map<String, Object>) raw.get(object);
            values.put(key, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this docker-java has no DockerObject.rawValues to put " + key + " in", e);
        }
    }

    private static void requireUnconfinedSystemPaths(String id) {
        String paths = DockerEngine.docker("inspect", "--format",
                "{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}", id).run().stdout().strip();
        if (!paths.equals("[] []")) {
            throw new IllegalStateException(
                    "the engine masks or write-protects /proc paths (MaskedPaths ReadonlyPaths): " + paths);
        }
    }

    String id() {
        return container.getContainerId();
    }

    /** The container's init (mounter-init) as this machine sees it: docker inspect's State.Pid. */
    long initPid() {
        return initPid;
    }

    long pidNamespaceInode() {
        return Processes.pidNamespaceInode(initPid);
    }

    /** The container's processes, as this machine sees them. */
    List<ProcessInfo> processes() {
        return Processes.infoInPidNamespace(pidNamespaceInode());
    }

    /** What is mounted in the container, read from its init's mountinfo. */
    NamespaceMounts mountinfo() {
        return NamespaceMounts.of(initPid);
    }

    boolean isMounted(Path mountPoint) {
        return mountinfo().isMounted(mountPoint);
    }

    /** {@code docker exec NAME ARGV}: runs and returns whatever the exit status. */
    CommandResult exec(String... argv) {
        List<String> args = new ArrayList<>(List.of("exec", spec.name()));
        args.addAll(List.of(argv));
        return DockerEngine.docker(args).exec();
    }

    /** What the entrypoint and mounterd wrote to the container's stdout and stderr. */
    String logs() {
        return logsQuietly(container);
    }

    /** Kills and removes the container. Throws IllegalStateException if the engine still lists it. Idempotent. */
    @Override
    public void close() {
        String id = container.getContainerId();
        stopQuietly(container);
        if (id != null && !DockerEngine.docker("ps", "-a", "-q", "--no-trunc", "--filter", "id=" + id).run().stdout()
                .isBlank()) {
            throw new IllegalStateException("the container " + spec.name() + " (" + id + ") was not removed");
        }
    }

    private static String logsQuietly(GenericContainer<?> container) {
        try {
            return container.getContainerId() == null
                    ? "(no container left; Testcontainers logged its output above)"
                    : container.getLogs();
        } catch (RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void stopQuietly(GenericContainer<?> container) {
        try {
            container.stop();
        } catch (RuntimeException ignored) {
            // whether it went is checked by the caller
        }
    }

    @Override
    public String toString() {
        return "MounterContainer[" + spec.name() + ", init " + initPid + "]";
    }
}

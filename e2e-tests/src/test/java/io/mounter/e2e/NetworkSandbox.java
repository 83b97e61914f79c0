package io.mounter.e2e;

import java.nio.file.Path;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A container that only holds a network namespace (with only lo) for the mount container to
 * join, as a pod's sandbox ("pause") container holds the pod's network while its containers
 * are replaced. The tests' servers run in it too, so they outlive a replaced mount container,
 * as a GlusterFS server outlives the pod on a real node. It runs the mount container's image
 * with {@code sleep infinity} as its only process.
 */
final class NetworkSandbox implements AutoCloseable {
    private final GenericContainer<?> container;
    private final long pid;

    private NetworkSandbox(GenericContainer<?> container, long pid) {
        this.container = container;
        this.pid = pid;
    }

    /** Starts it; throws IllegalStateException, with the container removed, if it does not run. */
    static NetworkSandbox start(String name) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(DockerEngine.image()))
                .withImagePullPolicy(image -> false)
                .withNetworkMode("none")
                .withCreateContainerCmdModifier(create -> create.withName(name)
                        .withEntrypoint(List.of("sleep", "infinity")));
        try {
            container.start();
            Long pid = container.getContainerInfo().getState().getPidLong();
            if (pid == null || pid <= 0) {
                throw new IllegalStateException("docker reports no pid for " + name);
            }
            return new NetworkSandbox(container, pid);
        } catch (RuntimeException e) {
            container.stop();
            throw new IllegalStateException("the network sandbox " + name + " did not start: " + e.getMessage(), e);
        }
    }

    /** {@code --network} for a container that joins this one's network. */
    String networkMode() {
        return "container:" + container.getContainerId();
    }

    /** {@code /proc/<pid>/ns/net}: the network namespace it holds. */
    Path networkNamespace() {
        return Path.of("/proc", Long.toString(pid), "ns", "net");
    }

    /** Kills and removes it. */
    @Override
    public void close() {
        container.stop();
    }
}

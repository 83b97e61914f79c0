package io.mounter.e2e;

import io.mounter.node.GlusterServer;
import io.mounter.node.HostNamespace;
import io.mounter.node.NodeNetwork;
import io.mounter.node.ScratchDirectory;
import io.mounter.node.SshServer;
import io.mounter.node.Teardown;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A node whose mount container is the real image run by the Docker engine:
 * <ul>
 *   <li>the "host": a private mount namespace held by a process this JVM starts (the
 *       machine's own root namespace is never used), in a loopback-only network of its own;</li>
 *   <li>the container {@value #CONTAINER_NAME}, labelled {@code name=glusterfs-mounter}
 *       (the routing kubelet-mounter's default config names), its mounterd pointed at that
 *       host through the machine's /proc, bound read-only at /host/proc;</li>
 *   <li>the network sandbox {@value #SANDBOX_NAME}: a container holding a network namespace
 *       with only lo, which the mount container joins ({@code --network container:...}), as
 *       a pod's containers join its sandbox; glusterd and sshd run in it, on demand, so all
 *       traffic stays in a namespace the test made, and they outlive a replaced container;</li>
 *   <li>a scratch directory bound into the container at the same path, holding
 *       {@code var/lib/kubelet/pods} (the allowed target prefix) and, as the host's
 *       {@code /opt/mounter/bin} and {@code /etc/mounter}, the directories the entrypoint
 *       installs kubelet-mounter and its config into.</li>
 * </ul>
 * {@link #close()} removes all of it, also when a test failed half-way.
 */
final class DockerNode implements AutoCloseable {
    static final String CONTAINER_NAME = "mounter";
    static final String SANDBOX_NAME = "mounter-network";
    static final String SELECTOR_LABEL = "name";
    static final String SELECTOR_VALUE = "glusterfs-mounter";
    /** Where the static pod mounts the host's /opt/mounter/bin and /etc/mounter. */
    static final String INSTALL_DIR_IN_CONTAINER = "/host/opt/mounter/bin";
    static final String CONFIG_DIR_IN_CONTAINER = "/host/etc/mounter";
    /** mounter-init's watchdog, quicker than the image's defaults so that tests of a hang end sooner. */
    static final Duration WATCHDOG_PERIOD = Duration.ofSeconds(2);
    static final Duration WATCHDOG_TIMEOUT = Duration.ofSeconds(2);
    static final int WATCHDOG_FAILURES = 2;

    private final ScratchDirectory scratch;
    private final Thread shutdownHook = new Thread(this::closeAtExit, "docker-node-teardown");
    private NodeNetwork hostNetwork;
    private HostNamespace host;
    private NetworkSandbox sandbox;
    private MounterContainer container;
    private NodeNetwork containerNetwork;
    private GlusterServer gluster;
    private SshServer ssh;
    private boolean closed;

    /** Changes to the container's spec a test class asks for (the CSI door on, say). */
    private final UnaryOperator<MounterContainer.Spec> specChange;

    private DockerNode(ScratchDirectory scratch, UnaryOperator<MounterContainer.Spec> specChange) {
        this.scratch = scratch;
        this.specChange = specChange;
    }

    /**
     * Builds the host and starts the container (a few seconds). Throws IllegalStateException
     * if a part fails; what was built by then is torn down first.
     */
    static DockerNode start() {
        return start(UnaryOperator.identity());
    }

    /** As {@link #start()}, with {@code specChange} made to the container's spec. */
    static DockerNode start(UnaryOperator<MounterContainer.Spec> specChange) {
        DockerNode node = new DockerNode(ScratchDirectory.create("mounter-e2e-"), specChange);
        Runtime.getRuntime().addShutdownHook(node.shutdownHook);
        try {
            node.build();
            return node;
        } catch (RuntimeException e) {
            try {
                node.close();
            } catch (RuntimeException teardown) {
                e.addSuppressed(teardown);
            }
            throw e;
        }
    }

    private void build() {
        for (Path dir : new Path[] {logDir(), kubeletPodsDir(), installDir(), configDir(), stateDir()}) {
            createDirectories(dir);
        }
        hostNetwork = NodeNetwork.start(logDir().resolve("host-network.log"));
        host = HostNamespace.start(hostNetwork, logDir().resolve("host.log"));
        sandbox = NetworkSandbox.start(SANDBOX_NAME);
        containerNetwork = NodeNetwork.joining(sandbox.networkNamespace());
        container = MounterContainer.start(containerSpec());
    }

    /** The container as the static pod describes it, pointed at this node's host and directories. */
    MounterContainer.Spec containerSpec() {
        return specChange.apply(baseSpec());
    }

    private MounterContainer.Spec baseSpec() {
        return MounterContainer.Spec.named(CONTAINER_NAME)
                .withLabel(SELECTOR_LABEL, SELECTOR_VALUE)
                .withNetwork(sandbox.networkMode())
                .withBind(Path.of("/proc"), "/host/proc", true)
                .withBind(directory(), directory().toString(), false)
                .withBind(installDir(), INSTALL_DIR_IN_CONTAINER, false)
                .withBind(configDir(), CONFIG_DIR_IN_CONTAINER, false)
                // mounterd's state on the "host", as the static pod keeps it: a new container reads it
                .withBind(stateDir(), "/var/lib/mounter", false)
                .withEnv("MOUNTER_HOST_MOUNT_NS", "/host/proc/" + host.pid() + "/ns/mnt")
                .withEnv("MOUNTER_ARGS", "--allow-target-prefix " + kubeletPodsDir())
                // the shim forwards umounts below this; the image's default is /var/lib/kubelet
                .withEnv("MOUNTER_FORWARD_UMOUNT_PREFIXES", directory().resolve("var/lib/kubelet").toString())
                .withEnv("MOUNTER_INSTALL_KUBELET_MOUNTER", INSTALL_DIR_IN_CONTAINER)
                .withEnv("MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG", CONFIG_DIR_IN_CONTAINER)
                .withEnv("MOUNTER_CHECK_EVERY", Long.toString(WATCHDOG_PERIOD.toSeconds()))
                .withEnv("MOUNTER_CHECK_TIMEOUT", Long.toString(WATCHDOG_TIMEOUT.toSeconds()))
                .withEnv("MOUNTER_CHECK_FAILURES", Integer.toString(WATCHDOG_FAILURES))
                .withEnv("MOUNTER_CHECK_GRACE", "5");
    }

    /**
     * Removes the container and starts a new one from the same spec, as kubelet does when a
     * static pod's container restarts; the network, and the servers in it, stay.
     */
    synchronized void restartContainer() {
        removeContainer();
        startContainer();
    }

    /** Removes the container, and every FUSE daemon with it; {@link #startContainer()} starts a new one. */
    synchronized void removeContainer() {
        requireOpen();
        if (container != null) {
            MounterContainer old = container;
            container = null;
            old.close();
        }
    }

    /** Starts a new container from the spec, after {@link #removeContainer()}. */
    synchronized void startContainer() {
        requireOpen();
        if (container != null) {
            throw new IllegalStateException("the container runs: remove it first");
        }
        container = MounterContainer.start(containerSpec());
    }

    Path directory() {
        return scratch.path();
    }

    Path logDir() {
        return directory().resolve("logs");
    }

    /** {@code <dir>/var/lib/kubelet/pods}, mounterd's allowed target prefix. */
    Path kubeletPodsDir() {
        return directory().resolve("var/lib/kubelet/pods");
    }

    /** The host's /opt/mounter/bin: where the entrypoint installs kubelet-mounter. */
    Path installDir() {
        return directory().resolve("host/opt/mounter/bin");
    }

    /** The host's /var/lib/mounter: mounterd's state directory, kept across containers. */
    Path stateDir() {
        return directory().resolve("host/var/lib/mounter");
    }

    /** The host's /etc/mounter: where the entrypoint writes kubelet-mounter.conf. */
    Path configDir() {
        return directory().resolve("host/etc/mounter");
    }

    HostNamespace host() {
        return host;
    }

    synchronized MounterContainer container() {
        requireOpen();
        return container;
    }

    /** glusterd in the mount container's network namespace (the sandbox's), started on first use. */
    synchronized GlusterServer gluster() {
        requireOpen();
        if (gluster == null) {
            gluster = GlusterServer.start(containerNetwork, directory().resolve("gluster"));
        }
        return gluster;
    }

    /** sshd on 127.0.0.1 in the mount container's network namespace (the sandbox's), started on first use. */
    synchronized SshServer ssh() {
        requireOpen();
        if (ssh == null) {
            ssh = SshServer.start(containerNetwork, directory().resolve("ssh"));
        }
        return ssh;
    }

    /**
     * Stops sshd, sessions included: its server is gone for sshfs clients. {@link #ssh()}
     * starts it again with the same keys, port and export.
     */
    synchronized void stopSsh() {
        requireOpen();
        if (ssh != null) {
            ssh.close();
            ssh = null;
        }
    }

    /**
     * Creates {@code <dir>/var/lib/kubelet/pods/<new uid>/volumes/<name>}, a target as kubelet
     * hands it over, the same directory on the host and in the container.
     */
    Path newVolumeDir(String name) {
        Path dir = kubeletPodsDir().resolve(UUID.randomUUID().toString()).resolve("volumes").resolve(name);
        createDirectories(dir);
        return dir;
    }

    /** Creates a fresh directory {@code <dir>/dirs/<name>-<uuid>}. */
    Path newDirectory(String name) {
        Path dir = directory().resolve("dirs").resolve(name + "-" + UUID.randomUUID());
        createDirectories(dir);
        return dir;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the node is closed");
        }
    }

    /**
     * Unmounts what is left on the host (so FUSE daemons exit), stops the servers, removes
     * the container, ends the host and removes the scratch directory; every step runs even
     * if an earlier one fails. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself
        }
        Teardown teardown = new Teardown();
        if (host != null) {
            teardown.step("unmount what is left on the host", () -> {
                var failures = host.unmountAllUnder(directory());
                if (!failures.isEmpty()) {
                    throw new IllegalStateException(failures.toString());
                }
            });
        }
        if (ssh != null) {
            teardown.step("stop sshd", ssh::close);
        }
        if (gluster != null) {
            teardown.step("stop glusterd", gluster::close);
        }
        if (container != null) {
            teardown.step("remove the container", container::close);
        }
        if (sandbox != null) {
            teardown.step("remove the network sandbox", sandbox::close);
        }
        if (host != null) {
            teardown.step("end the host namespace", host::close);
        }
        if (hostNetwork != null) {
            teardown.step("end the host network", hostNetwork::close);
        }
        teardown.step("remove " + directory(), scratch::close);
        teardown.finish("the docker node in " + directory());
    }

    private void closeAtExit() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("docker node teardown at exit: " + e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    @Override
    public String toString() {
        return "DockerNode[" + directory() + "]";
    }
}

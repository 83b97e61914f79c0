package io.mounter.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * A simulated Kubernetes node built from real kernel parts on this machine:
 * <ul>
 *   <li>a node network (network namespace, {@code lo} only),</li>
 *   <li>a "host" (private copy of the machine's mount namespace, in that network),</li>
 *   <li>a mount container (own root, own PID namespace, host networking, optional shim in
 *       its /etc/ld.so.preload),</li>
 *   <li>on demand, a glusterd and an sshd in that network,</li>
 *   <li>a kubelet-like {@code <dir>/var/lib/kubelet/pods}, the same files on host and in
 *       the container.</li>
 * </ul>
 * Nothing is mounted in the machine's root mount namespace, and every process started
 * here exits when the JVM does (see {@link HolderProcess}). {@link #close()} undoes all of
 * it, temp directory included.
 */
public final class SimulatedNode implements AutoCloseable {
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(3);

    private final ScratchDirectory scratch;
    private final Thread shutdownHook;
    private NodeNetwork network;
    private HostNamespace host;
    private MountContainer container;
    private GlusterServer gluster;
    private SshServer ssh;
    private boolean closed;

    private SimulatedNode(ScratchDirectory scratch) {
        this.scratch = scratch;
        this.shutdownHook = new Thread(this::closeAtExit, "simulated-node-teardown");
    }

    /** A node whose container has no shim. */
    public static SimulatedNode start() {
        return start(ContainerConfig.plain());
    }

    /**
     * Builds the node (about 50-80 ms here). Throws IllegalStateException or
     * UncheckedIOException if a part fails; whatever was built by then is torn down first.
     */
    public static SimulatedNode start(ContainerConfig config) {
        return start(directory -> config);
    }

    /**
     * As {@link #start(ContainerConfig)}, for a container configuration that names paths
     * below the node's directory (the kubelet directory in a shim's config, say), which is
     * created first and passed in.
     */
    public static SimulatedNode start(Function<Path, ContainerConfig> configForDirectory) {
        SimulatedNode node = new SimulatedNode(ScratchDirectory.create("mounter-node-"));
        Runtime.getRuntime().addShutdownHook(node.shutdownHook);
        try {
            node.build(configForDirectory.apply(node.directory()));
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

    private void build(ContainerConfig config) {
        Path dir = directory();
        ScratchDirectory.createDirectories(logDir());
        ScratchDirectory.createDirectories(dir.resolve("container"));
        ScratchDirectory.createDirectories(kubeletPodsDir());
        network = NodeNetwork.start(logDir().resolve("network.log"));
        host = HostNamespace.start(network, logDir().resolve("host.log"));
        container = MountContainer.start(host, network, dir.resolve("container"), dir, config,
                logDir().resolve("container.log"));
    }

    /** The node's temp directory; everything it writes or mounts lives below it. */
    public Path directory() {
        return scratch.path();
    }

    /** Holder logs (stderr of each namespace's holder). */
    public Path logDir() {
        return directory().resolve("logs");
    }

    /** {@code <dir>/var/lib/kubelet/pods}: give mounterd this as its allowed target prefix. */
    public Path kubeletPodsDir() {
        return directory().resolve("var/lib/kubelet/pods");
    }

    public NodeNetwork network() {
        return network;
    }

    public HostNamespace host() {
        return host;
    }

    public MountContainer container() {
        return container;
    }

    /** The node's glusterd, started on first use (about 50 ms; each volume about 1.3 s more). */
    public synchronized GlusterServer gluster() {
        requireOpen();
        if (gluster == null) {
            gluster = GlusterServer.start(network, directory().resolve("gluster"));
        }
        return gluster;
    }

    /** The node's sshd, started on first use (about 50 ms, key generation included). */
    public synchronized SshServer ssh() {
        requireOpen();
        if (ssh == null) {
            ssh = SshServer.start(network, directory().resolve("ssh"));
        }
        return ssh;
    }

    /**
     * Creates {@code <dir>/var/lib/kubelet/pods/<new uid>/volumes/<name>}, the kind of target
     * kubelet hands a mounter, visible at the same path on host and in the container.
     * {@code name} may hold a plugin directory, e.g. {@code kubernetes.io~glusterfs/data}.
     */
    public Path newVolumeDir(String name) {
        return createBelow(kubeletPodsDir().resolve(UUID.randomUUID().toString()).resolve("volumes"), name);
    }

    /** Creates a fresh directory {@code <dir>/dirs/<name>-<n>} (a bindfs source, say). */
    public Path newDirectory(String name) {
        Path base = directory().resolve("dirs");
        ScratchDirectory.createDirectories(base);
        try {
            return Files.createTempDirectory(base, checkedName(name) + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory under " + base, e);
        }
    }

    private static Path createBelow(Path base, String name) {
        Path dir = base.resolve(checkedName(name)).normalize();
        if (!dir.startsWith(base)) {
            throw new IllegalArgumentException("name escapes " + base + ": " + name);
        }
        ScratchDirectory.createDirectories(dir);
        return dir;
    }

    private static String checkedName(String name) {
        if (name.isEmpty() || name.startsWith("/") || List.of(name.split("/")).contains("..")) {
            throw new IllegalArgumentException("a relative name without `..` expected: " + name);
        }
        return name;
    }

    /**
     * Tears down in reverse order: unmounts below the node directory in the container, ends
     * the container (its PID namespace goes with it), unmounts below the directory on the
     * host so FUSE daemons there see their last copy go, kills what still runs in the host
     * namespace or node network, ends the host, the servers, the network, and removes the
     * directory unless something is still mounted below it in the root namespace. Every
     * step runs even if one fails; the failures are thrown together. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Path dir = directory();
        Teardown teardown = new Teardown();
        if (container != null) {
            teardown.step("unmount in the container", () -> container.unmountAllUnder(dir));
            teardown.step("stop the container", container::close);
        }
        if (host != null) {
            teardown.step("unmount on the host", () -> host.unmountAllUnder(dir));
            teardown.step("end processes left on the host", () -> endLeftovers(
                    Processes.inNamespace("mnt", host.mountNamespaceInode()), host.pid()));
            teardown.step("stop the host namespace", host::close);
        }
        if (ssh != null) {
            teardown.step("stop sshd", ssh::close);
        }
        if (gluster != null) {
            teardown.step("stop glusterd", gluster::close);
        }
        if (network != null) {
            teardown.step("end processes left in the node network", () -> endLeftovers(
                    Processes.inNamespace("net", Processes.namespaceInode(network.holderPid(), "net")),
                    network.holderPid()));
            teardown.step("stop the node network", network::close);
        }
        teardown.step("remove " + dir, scratch::close);
        if (Thread.currentThread() != shutdownHook) {
            teardown.step("drop the shutdown hook", () -> Runtime.getRuntime().removeShutdownHook(shutdownHook));
        }
        teardown.finish("the simulated node in " + dir);
    }

    // Processes in the node's own namespaces were started through this fixture (a FUSE
    // daemon a test ran on the host, say): give them a moment to leave, then SIGKILL.
    private static void endLeftovers(List<Long> pids, long holderPid) {
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> leftovers = pids.stream()
                .filter(pid -> pid != holderPid && pid != self)
                .map(ProcessHandle::of)
                .flatMap(Optional::stream)
                .toList();
        for (ProcessHandle leftover : leftovers) {
            if (!Processes.waitForExit(leftover, LEFTOVER_GRACE)) {
                leftover.destroyForcibly();
                Processes.waitForExit(leftover, LEFTOVER_GRACE);
            }
        }
    }

    private void closeAtExit() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("simulated node teardown at JVM exit: " + e.getMessage());
        }
    }

    private synchronized void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the simulated node in " + directory() + " is closed");
        }
    }


    @Override
    public String toString() {
        return "SimulatedNode[" + directory() + "]";
    }
}

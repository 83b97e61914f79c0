package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The node's network: a network namespace with only {@code lo} up, held by a process
 * instead of {@code ip netns add} (which would write /run/netns on the real machine).
 * The mount container (host networking), the host namespace, glusterd and sshd all join
 * it, so 127.0.0.1 and 127.0.0.2 reach each other there and nothing reaches the machine's
 * real network.
 *
 * <p>{@link #joining(Path)} stands for a namespace someone else made and holds (a Docker
 * container's with {@code --network none}): servers started in it are the same, only
 * closing it leaves the namespace alone.
 */
public final class NodeNetwork implements AutoCloseable {
    private static final String HOLDER_SCRIPT = """
            set -eu
            ip link set lo up
            read -r pid _ < /proc/self/stat
            exec perl -e "$hold" -- "$pid"
            """;

    private final HolderProcess holder; // null when joining a namespace held elsewhere
    private final Path path;

    private NodeNetwork(HolderProcess holder, Path path) {
        this.holder = holder;
        this.path = path;
    }

    /** Creates the namespace; its holder's stderr goes to {@code log}. Throws IllegalStateException on failure. */
    public static NodeNetwork start(Path log) {
        HolderProcess holder = HolderProcess.start("node network", List.of("unshare", "--net", "--"),
                HOLDER_SCRIPT, List.of(), log, Duration.ofSeconds(10));
        return new NodeNetwork(holder, Path.of("/proc", Long.toString(holder.pid()), "ns", "net"));
    }

    /**
     * An existing network namespace, {@code /proc/PID/ns/net} of a process that keeps it
     * (and its {@code lo}) up; {@link #close()} does nothing to it. Throws
     * IllegalArgumentException if the path is not a network namespace.
     */
    public static NodeNetwork joining(Path netnsPath) {
        try {
            String link = Files.readSymbolicLink(netnsPath).toString();
            if (!link.startsWith("net:[")) {
                throw new IllegalArgumentException(netnsPath + " is not a network namespace: " + link);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the network namespace " + netnsPath + ": " + e, e);
        }
        return new NodeNetwork(null, netnsPath);
    }

    /** The holder's pid; throws IllegalStateException for a {@link #joining(Path) joined} namespace. */
    public long holderPid() {
        if (holder == null) {
            throw new IllegalStateException("the network namespace " + path + " is held elsewhere");
        }
        return holder.pid();
    }

    /**
     * Starts a server's holder in this network with its own mount and PID namespaces, so
     * it can lay private directories over /run or /var/lib without touching the machine's,
     * and so the kernel ends all of its processes with it.
     */
    HolderProcess startServerHolder(String name, String script, List<String> args, Path log, Duration timeout) {
        List<String> wrapper = List.of("nsenter", "--net=" + path(), "--",
                "unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--");
        return HolderProcess.start(name, wrapper, script, args, log, timeout);
    }

    /** {@code /proc/PID/ns/net} of the holder (or the joined path): what {@code nsenter --net=} takes. */
    public Path path() {
        return path;
    }

    /** The command run with {@code nsenter --net=<this>}; only the network namespace changes. */
    public Command command(List<String> argv) {
        return Command.of(argv).prefixedWith(List.of("nsenter", "--net=" + path(), "--"));
    }

    /** True if a TCP connect to host:port succeeds from inside this namespace. */
    public boolean accepts(String host, int port) {
        // bash's /dev/tcp: no client tool needed, and the socket is closed when bash exits
        return command(List.of("bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + port))
                .withTimeout(Duration.ofSeconds(5)).exec().succeeded();
    }

    /** Polls until host:port accepts connections; throws IllegalStateException after the timeout. */
    public void awaitListening(String host, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!accepts(host, port)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("nothing listens on " + host + ":" + port
                        + " in the node network after " + timeout.toMillis() + " ms");
            }
            Processes.sleep(Duration.ofMillis(20));
        }
    }

    /**
     * Ends the holder; the namespace disappears when its last member process has gone.
     * Nothing for a joined namespace. Idempotent.
     */
    @Override
    public void close() {
        if (holder != null) {
            holder.close();
        }
    }

    @Override
    public String toString() {
        return "NodeNetwork[" + path() + "]";
    }
}

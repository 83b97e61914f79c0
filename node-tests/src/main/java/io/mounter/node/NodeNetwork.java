package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The node's network: a network namespace with only {@code lo} up, held by a process
 * instead of {@code ip netns add} (which would write /run/netns on the real machine).
 * The mount container (host networking), the host namespace, glusterd and sshd all join
 * it, so 127.0.0.1 and 127.0.0.2 reach each other there and nothing reaches the machine's
 * real network.
 */
public final class NodeNetwork implements AutoCloseable {
    private static final String HOLDER_SCRIPT = """
            set -eu
            ip link set lo up
            read -r pid _ < /proc/self/stat
            exec perl -e "$hold" -- "$pid"
            """;

    private final HolderProcess holder;

    private NodeNetwork(HolderProcess holder) {
        this.holder = holder;
    }

    /** Creates the namespace; its holder's stderr goes to {@code log}. Throws IllegalStateException on failure. */
    public static NodeNetwork start(Path log) {
        return new NodeNetwork(HolderProcess.start("node network", List.of("unshare", "--net", "--"),
                HOLDER_SCRIPT, List.of(), log, Duration.ofSeconds(10)));
    }

    public long holderPid() {
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

    /** {@code /proc/PID/ns/net} of the holder: what {@code nsenter --net=} takes. */
    public Path path() {
        return Path.of("/proc", Long.toString(holder.pid()), "ns", "net");
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

    /** Ends the holder; the namespace disappears when its last member process has gone. Idempotent. */
    @Override
    public void close() {
        holder.close();
    }

    @Override
    public String toString() {
        return "NodeNetwork[" + path() + "]";
    }
}

package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The simulated host: a private copy of the machine's mount namespace, in the node
 * network, held by a process. Mounts made here never reach the machine's real root
 * namespace ({@code --propagation private}), which is the point: docs/kernel-notes.md says the
 * sandbox's own PID 1 namespace is off limits, so mounterd is pointed at
 * {@link #mountNsPath()} (or {@code /host/proc/<pid>/ns/mnt} from inside the container).
 * It shares the machine's PID namespace, as a real host does; so if the JVM dies, the
 * holder itself ends what still runs in this mount namespace (see {@link HolderProcess}).
 */
public final class HostNamespace implements AutoCloseable {
    private static final String HOLDER_SCRIPT = """
            set -eu
            read -r pid _ < /proc/self/stat
            exec perl -e "$hold" -- "$pid" "--end-mount-namespace-unless=$1"
            """;

    private final HolderProcess holder;

    private HostNamespace(HolderProcess holder) {
        this.holder = holder;
    }

    /** Starts the holder in {@code network}; stderr to {@code log}. Throws IllegalStateException on failure. */
    public static HostNamespace start(NodeNetwork network, Path log) {
        List<String> wrapper = List.of("nsenter", "--net=" + network.path(), "--",
                "unshare", "--mount", "--propagation", "private", "--");
        // the JVM's own mount namespace: the holder's last-resort kill never runs in it
        String machineNs = "mnt:[" + Processes.namespaceInode(ProcessHandle.current().pid(), "mnt") + "]";
        return new HostNamespace(HolderProcess.start("host namespace", wrapper, HOLDER_SCRIPT, List.of(machineNs), log,
                Duration.ofSeconds(10)));
    }

    public long pid() {
        return holder.pid();
    }

    /** {@code /proc/PID/ns/mnt}: the namespace host mounts must land in. */
    public Path mountNsPath() {
        return Path.of("/proc", Long.toString(pid()), "ns", "mnt");
    }

    public long mountNamespaceInode() {
        return Processes.namespaceInode(pid(), "mnt");
    }

    /** argv run in the host's mount and network namespaces ({@code nsenter -t PID -m -n}). */
    public Command command(List<String> argv) {
        return Command.of(argv).prefixedWith(
                List.of("nsenter", "-t", Long.toString(pid()), "-m", "-n", "--"));
    }

    /** Runs argv on the host and returns the result whatever its exit status. */
    public CommandResult exec(String... argv) {
        return command(List.of(argv)).exec();
    }

    /** Runs argv on the host; throws CommandFailedException unless it exits 0. */
    public CommandResult run(String... argv) {
        return command(List.of(argv)).run();
    }

    /** What is mounted in the host namespace, read from /proc/PID/mountinfo. */
    public NamespaceMounts mountinfo() {
        return NamespaceMounts.of(pid());
    }

    public boolean isMounted(Path mountPoint) {
        return mountinfo().isMounted(mountPoint);
    }

    /**
     * Lazily unmounts every mount at or below {@code dir} in the host, deepest first, so
     * that FUSE daemons serving them see their last copy go and exit. Returns the failures
     * (empty if all went).
     */
    public List<CommandResult> unmountAllUnder(Path dir) {
        return MountSweep.unmountLazily(mountinfo().under(dir), this::command);
    }

    /** Ends the holder; with no process left in it the namespace and its mounts go. Idempotent. */
    @Override
    public void close() {
        holder.close();
    }

    @Override
    public String toString() {
        return "HostNamespace[pid " + pid() + "]";
    }
}

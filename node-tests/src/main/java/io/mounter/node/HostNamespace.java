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
public final class HostNamespace extends HeldNamespace {
    private static final String HOLDER_SCRIPT = """
            set -eu
            read -r pid _ < /proc/self/stat
            exec perl -e "$hold" -- "$pid" "--end-mount-namespace-unless=$1"
            """;

    private HostNamespace(HolderProcess holder) {
        super(holder);
    }

    /** The host's mount and network namespaces. */
    @Override
    List<String> nsenterFlags() {
        return List.of("-m", "-n");
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
}

package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pod container's mount namespace, as a runtime makes one: a copy of the host's namespace
 * ({@code unshare --mount}, private propagation unless asked otherwise) in which volumes
 * are bound at paths of the pod's own (and no longer seen at the host's), held by a process
 * for as long as the JVM holds it.
 * Volumes bound here are the pod's private copies: a later change on the host does not
 * reach them, which is what a repair inside running pods is for.
 */
public final class PodNamespace extends HeldNamespace {
    /**
     * Args: volume, pod path, volume, pod path... Binds each, then detaches the volumes' own
     * paths in the pod, as a runtime's pivot_root leaves only the binds in view.
     */
    private static final String SETUP = """
            set -eu
            volume=
            for arg do
                if [ -z "$volume" ]; then volume=$arg; else mount --bind "$volume" "$arg"; volume=; fi
            done
            for arg do
                if [ -z "$volume" ]; then volume=$arg; umount -l "$arg" 2>/dev/null || true; else volume=; fi
            done
            read -r pid _ < /proc/self/stat
            exec perl -e "$hold" -- "$pid"
            """;

    private PodNamespace(HolderProcess holder) {
        super(holder);
    }

    /** The pod's mount namespace only. */
    @Override
    List<String> nsenterFlags() {
        return List.of("-m");
    }

    /**
     * Starts a pod namespace from {@code host}'s with {@code binds} (each pod path to the
     * volume bound there, both paths of the host's tree) and {@code propagation} (private,
     * or slave: the pod's copies of the host's shared mounts then follow the host).
     */
    public static PodNamespace start(HostNamespace host, Map<Path, Path> binds, String propagation, Path log) {
        List<String> wrapper = List.of("nsenter", "-t", Long.toString(host.pid()), "-m", "--",
                "unshare", "--mount", "--propagation", propagation, "--");
        List<String> args = new ArrayList<>();
        binds.forEach((podPath, volume) -> {
            args.add(volume.toString());
            args.add(podPath.toString());
        });
        return new PodNamespace(HolderProcess.start("pod namespace", wrapper, SETUP, args, log,
                Duration.ofSeconds(10)));
    }
}

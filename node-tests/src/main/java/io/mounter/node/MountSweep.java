package io.mounter.node;

import io.mounter.linux.MountInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Lazy unmounting of a list of mounts inside some namespace, for teardown. */
final class MountSweep {
    private MountSweep() {
    }

    /**
     * {@code umount -l} each mount point in the given order (callers pass deepest first, see
     * {@link NamespaceMounts#under}). Lazy, because a FUSE mount whose daemon died answers
     * ENOTCONN and a busy one EBUSY; detaching still drops this namespace's copy. Returns
     * the commands that failed.
     */
    static List<CommandResult> unmountLazily(List<MountInfo.Entry> mounts, Function<List<String>, Command> inNamespace) {
        List<CommandResult> failures = new ArrayList<>();
        for (MountInfo.Entry mount : mounts) {
            CommandResult result = inNamespace.apply(List.of("umount", "-l", mount.mountPoint()))
                    .withTimeout(Duration.ofSeconds(10)).exec();
            if (!result.succeeded()) {
                failures.add(result);
            }
        }
        return failures;
    }
}

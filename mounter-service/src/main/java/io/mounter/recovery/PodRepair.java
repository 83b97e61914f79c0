package io.mounter.recovery;

import io.mounter.executor.DetachedMount;
import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.executor.NamespaceCommand;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.policy.ContainedPath;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Puts a fresh mount in place of a dead one wherever the dead one is still mounted: a pod
 * container started before the failure holds its own copy of the volume (a private bind),
 * which no remount on the host reaches, and a CSI volume's published targets are bind copies
 * of its staged mount in the host's namespace. For each such mount: a
 * clone of the fresh mount (or of the same directory in it, for a bind of a subdirectory)
 * is made in the host namespace, a thread joins the pod's namespace, puts the clone beneath
 * the dead mount on the same path and detaches the dead one. The pod is not restarted. A
 * namespace that no longer shows the dead mount on that path is left as it is.
 */
public final class PodRepair {
    /** What happened to one mount in one namespace. */
    public record Outcome(Path namespace, String mountPoint, NamespaceCommand.Replacement replacement,
                          String failure) {
        public boolean replaced() {
            return replacement == NamespaceCommand.Replacement.REPLACED;
        }
    }

    private final MountExecutor executor;
    /** Null when the host's procfs is not known: nothing is repaired then. */
    private final Path proc;
    private final Set<Long> skip;

    /**
     * @param proc the host's /proc as mounterd sees it; null if unknown (no pod is repaired)
     * @param skip the inodes of namespaces never to visit: mounterd's own
     */
    public PodRepair(MountExecutor executor, Path proc, Set<Long> skip) {
        this.executor = executor;
        this.proc = proc;
        this.skip = Set.copyOf(skip);
    }

    /**
     * Replaces, in every namespace holding it, each mount of {@code dead} with a clone of
     * the mount at {@code fresh} in the host namespace.
     */
    public List<Outcome> repair(DeviceNumber dead, ContainedPath fresh) throws IOException {
        List<Outcome> outcomes = new ArrayList<>();
        if (proc == null) {
            return outcomes;
        }
        for (MountNamespaceScan.Holder holder : MountNamespaceScan.holdersOf(proc, dead, skip)) {
            for (MountInfo.Entry mount : holder.mounts()) {
                outcomes.add(replace(holder.namespace(), mount, dead, fresh));
            }
        }
        return outcomes;
    }

    private Outcome replace(Path namespace, MountInfo.Entry mount, DeviceNumber dead, ContainedPath fresh) {
        try (DetachedMount clone = executor.execute(new HostCommand.CloneMount(fresh, mount.root()))) {
            NamespaceCommand.Replacement done = executor.executeIn(namespace.toString(),
                    new NamespaceCommand.ReplaceMount(clone, mount.mountPoint(), dead));
            return new Outcome(namespace, mount.mountPoint(), done, null);
        } catch (RuntimeException e) {
            return new Outcome(namespace, mount.mountPoint(), null, e.getMessage());
        }
    }
}

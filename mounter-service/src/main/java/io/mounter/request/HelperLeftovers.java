package io.mounter.request;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.MountFlags;
import io.mounter.linux.SyscallException;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.Refusal;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a mount helper that failed or was killed left behind: the mounts made on its target
 * since it started, which nobody will report as done. Each is detached (only if it is still
 * the filesystem recorded) and forgotten, so a failed door leaves nothing mounted.
 */
public final class HelperLeftovers {
    private static final Logger log = LoggerFactory.getLogger(HelperLeftovers.class);

    private HelperLeftovers() {
    }

    /** Detaches and forgets the mounts made on {@code target} since {@code since} (ms); returns how many. */
    public static int remove(MountTable table, MountExecutor executor, ContainedPath target, long since) {
        int removed = 0;
        for (MountRecord record : table.newestFirst(r -> r.entry().target().equals(target.full())
                && r.entry().createdAtMillis() >= since)) {
            try {
                executor.execute(new HostCommand.Unmount(target, MountFlags.MNT_DETACH, record.device()));
            } catch (SyscallException | Refusal e) {
                log.atWarn().setMessage("cleanup failed").addKeyValue("op", "UMOUNT")
                        .addKeyValue("target", target.full()).addKeyValue("error", e.getMessage()).log();
            }
            table.remove(record);
            removed++;
        }
        return removed;
    }
}

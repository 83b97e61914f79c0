package io.mounter.protocol;

/**
 * One mount mounterd made, as LIST reports it. Pids are as mounterd's PID namespace (the
 * mount container's) sees them; {@code daemonPid} is the process serving a FUSE mount, 0
 * when none is known (not FUSE, or its daemon is gone).
 */
public record MountEntry(String source, String target, String fstype, int requesterPid,
                         long createdAtMillis, int daemonPid) {

    public MountEntry withDaemonPid(int pid) {
        return new MountEntry(source, target, fstype, requesterPid, createdAtMillis, pid);
    }
}

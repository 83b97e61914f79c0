package io.mounter.protocol;

/**
 * One mount mounterd made, as LIST reports it. Pids are as mounterd's PID namespace (the
 * mount container's) sees them; {@code daemonPid} is the process serving a FUSE mount, 0
 * when none is known (not FUSE, or its daemon is gone). {@code state} says whether it
 * serves, and {@code stateReason} why not (empty while it serves).
 */
public record MountEntry(String source, String target, String fstype, int requesterPid,
                         long createdAtMillis, int daemonPid, MountState state, String stateReason) {

    /** A mount that serves. */
    public MountEntry(String source, String target, String fstype, int requesterPid, long createdAtMillis,
                      int daemonPid) {
        this(source, target, fstype, requesterPid, createdAtMillis, daemonPid, MountState.SERVING, "");
    }

    public MountEntry withSource(String newSource) {
        return new MountEntry(newSource, target, fstype, requesterPid, createdAtMillis, daemonPid, state, stateReason);
    }

    public MountEntry withDaemonPid(int pid) {
        return new MountEntry(source, target, fstype, requesterPid, createdAtMillis, pid, state, stateReason);
    }

    public MountEntry withState(MountState newState, String reason) {
        return new MountEntry(source, target, fstype, requesterPid, createdAtMillis, daemonPid, newState, reason);
    }
}

package io.mounter.linux;

/**
 * The peer of a unix socket as the kernel recorded it at connect time (SO_PEERCRED), and
 * the real uid of the process: SO_PEERCRED gives the effective uid, root for every caller of
 * a setuid stand-in, while the real uid says which user ran it.
 */
public record PeerCredentials(int pid, int uid, int gid, int realUid) {
    /** As SO_PEERCRED gives it: the real uid not known yet, taken to be the effective one. */
    public PeerCredentials(int pid, int uid, int gid) {
        this(pid, uid, gid, uid);
    }

    /** Whether the peer runs as root by its own right, not by a setuid program's. */
    public boolean isRealRoot() {
        return realUid == 0;
    }

    public PeerCredentials withRealUid(int realUid) {
        return new PeerCredentials(pid, uid, gid, realUid);
    }
}

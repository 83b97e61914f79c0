package io.mounter.protocol;

import java.util.Locale;

/** How a mount in mounterd's table is doing, as LIST, /metrics and /healthz report it. */
public enum MountState {
    /** Mounted and, for FUSE, not known to have lost its daemon. */
    SERVING,
    /**
     * Its FUSE daemon is gone and its command is being run again, or will be after a
     * failure (the server unreachable, say). Meanwhile the mount answers ENOTCONN.
     */
    RECOVERING,
    /**
     * Its FUSE daemon is gone and nothing will bring it back (no command to run again, or
     * one that cannot work); ENOTCONN until kubelet unmounts it.
     */
    DEAD;

    /** The name in reports: "serving", "recovering", "dead". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state with this wire code; SERVING for a code this version does not know. */
    static MountState ofCode(long code) {
        MountState[] all = values();
        return code >= 0 && code < all.length ? all[(int) code] : SERVING;
    }
}

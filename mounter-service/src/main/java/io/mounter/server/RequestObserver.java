package io.mounter.server;

/**
 * Sees the outcome of every request: metrics and structured request logs hang off it.
 * Called on the connection worker (pinned in the host namespace): implementations must be
 * quick, must not block, and must not start threads or processes.
 */
public interface RequestObserver {
    RequestObserver NONE = (operation, errno, nanos) -> { };

    /**
     * @param operation the operation's name (MOUNT, UMOUNT, ...) or "MALFORMED" when the
     *     message could not be decoded
     * @param errno the reply's status, 0 for success
     * @param nanos time from receipt to reply
     */
    void observe(String operation, int errno, long nanos);
}

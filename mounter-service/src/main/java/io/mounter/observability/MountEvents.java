package io.mounter.observability;

/**
 * Events of mounterd's own upkeep, for metrics: the watcher reports mounts it cleaned up,
 * start-up reports how often mounterd has started on this node.
 */
public interface MountEvents {
    MountEvents NONE = new MountEvents() {
        @Override
        public void staleMountCleaned(String target, String reason) {
        }

        @Override
        public void started(long startCount) {
        }
    };

    /** A mount that was gone (unmounted on the host) or never served left the table, or was detached. */
    void staleMountCleaned(String target, String reason);

    /** mounterd started; {@code startCount} counts starts on this node, this one included. */
    void started(long startCount);
}

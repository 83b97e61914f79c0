package io.mounter.table;

import java.util.List;

/** Brings a dead FUSE mount back by running its daemon's command again. */
public interface Respawner {
    /**
     * Starts bringing {@code dead} back with {@code argv}, the command line its daemon had;
     * returns at once. The record is replaced in the table once the fresh mount is in place;
     * until then, or if that fails, the mount stays dead.
     */
    void respawn(MountRecord dead, List<String> argv);
}

package io.mounter.server;

import io.mounter.protocol.MountEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The mounts mounterd made and has not seen unmounted, in the order they were made. A
 * target can carry stacked mounts; an unmount removes the newest one on it.
 */
public final class MountTable {
    private final List<MountEntry> entries = new ArrayList<>();

    public synchronized void add(MountEntry entry) {
        entries.add(entry);
    }

    /** Removes the newest record for {@code target}; false if there was none. */
    public synchronized boolean removeNewest(String target) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).target().equals(target)) {
                entries.remove(i);
                return true;
            }
        }
        return false;
    }

    public synchronized List<MountEntry> snapshot() {
        return List.copyOf(new ArrayList<>(entries));
    }
}

package io.mounter.server;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The mounts mounterd made and has not seen unmounted, in the order they were made. A
 * target can carry stacked mounts; an unmount removes the newest one on it.
 */
public final class MountTable {
    private final List<MountRecord> records = new ArrayList<>();

    public synchronized void add(MountRecord record) {
        records.add(record);
    }

    /** Removes the newest record for {@code target}; false if there was none. */
    public synchronized boolean removeNewest(String target) {
        for (int i = records.size() - 1; i >= 0; i--) {
            if (records.get(i).entry().target().equals(target)) {
                records.remove(i);
                return true;
            }
        }
        return false;
    }

    /** The records that match, newest first. */
    public synchronized List<MountRecord> newestFirst(Predicate<MountRecord> filter) {
        List<MountRecord> found = new ArrayList<>();
        for (int i = records.size() - 1; i >= 0; i--) {
            if (filter.test(records.get(i))) {
                found.add(records.get(i));
            }
        }
        return found;
    }

    public synchronized List<MountRecord> snapshot() {
        return List.copyOf(records);
    }

    public synchronized int size() {
        return records.size();
    }
}

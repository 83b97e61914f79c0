package io.mounter.table;

import io.mounter.protocol.MountState;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The mounts mounterd made and has not seen unmounted, in the order they were made. A
 * target can carry stacked mounts; an unmount removes the newest one on it.
 *
 * <p>Every change is announced to the listener (the state writer and the watcher), after
 * the table's lock is released. Records are told apart by identity, not by value: two
 * mounts of the same source on the same target are two records.
 */
public final class MountTable {
    /** A record and what the table knows about it besides. */
    private static final class Slot {
        final MountRecord record;
        final long addedAt;
        boolean claimed;
        MountState state = MountState.SERVING;
        String stateReason = "";

        Slot(MountRecord record, long addedAt) {
            this.record = record;
            this.addedAt = addedAt;
        }
    }

    /** Hears of every change of the table. */
    public interface Listener {
        /**
         * The table changed: {@code added} was added, or (when null) records were removed.
         * Runs on the thread that made the change (a connection worker, say), so it must be
         * quick and must not block.
         */
        void changed(MountRecord added);
    }

    private final List<Slot> slots = new ArrayList<>();
    /**
     * The command line of the daemon that served each FUSE target, to run again should it
     * die (kept with the state, so that a new mount container can too); gone with the
     * target's last record.
     */
    private final Map<String, List<String>> commands = new HashMap<>();
    /** Targets whose daemon's command is never kept (it holds a secret). */
    private final Set<String> noCommand = new HashSet<>();
    private long generation;
    private volatile Listener listener = added -> { };

    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public void add(MountRecord record) {
        synchronized (this) {
            slots.add(new Slot(record, ++generation));
        }
        listener.changed(record);
    }

    /** Adds records in their order (a table rebuilt at start). */
    public void addAll(List<MountRecord> records) {
        synchronized (this) {
            for (MountRecord record : records) {
                slots.add(new Slot(record, ++generation));
            }
        }
        records.forEach(listener::changed);
    }

    /** Removes the newest record for {@code target}; false if there was none. */
    public boolean removeNewest(String target) {
        MountRecord newest = newestOn(target);
        return newest != null && remove(newest);
    }

    /** Removes this very record; false if it is gone already (the watcher was first). */
    public boolean remove(MountRecord record) {
        boolean removed = false;
        synchronized (this) {
            for (int i = slots.size() - 1; i >= 0; i--) {
                if (slots.get(i).record == record) {
                    slots.remove(i);
                    removed = true;
                    break;
                }
            }
            if (removed && newestOn(record.entry().target()) == null) {
                commands.remove(record.entry().target());
            }
        }
        if (removed) {
            listener.changed(null);
        }
        return removed;
    }

    /**
     * Never keeps a command for {@code target} (one whose command line holds a secret, which
     * the state file must not hold in clear): its mount is not brought back should its daemon
     * die. Until {@link #keepCommandsFor} is called for it.
     */
    public synchronized void keepNoCommandFor(String target) {
        noCommand.add(target);
        commands.remove(target);
    }

    /** Undoes {@link #keepNoCommandFor}: its mount is gone, or was never made. */
    public synchronized void keepCommandsFor(String target) {
        noCommand.remove(target);
    }

    /** Keeps {@code command} as the one to run again for {@code target} while it has a record. */
    public void setCommand(String target, List<String> command) {
        synchronized (this) {
            if (command.equals(commands.get(target)) || newestOn(target) == null || noCommand.contains(target)) {
                return;
            }
            commands.put(target, List.copyOf(command));
        }
        listener.changed(null); // saved, like any change
    }

    /** The command kept for {@code target}; empty if none. */
    public synchronized List<String> commandFor(String target) {
        return commands.getOrDefault(target, List.of());
    }

    /** Every target's command, for the state file. */
    public synchronized Map<String, List<String>> commands() {
        return Map.copyOf(commands);
    }

    /**
     * Marks the newest record on {@code target} as being unmounted by a request, so the
     * watcher does not report its disappearance as an unmount on the host; null if there is
     * none. Follow with {@link #remove} on success, {@link #release} on failure.
     */
    public synchronized MountRecord claimNewest(String target) {
        for (int i = slots.size() - 1; i >= 0; i--) {
            Slot slot = slots.get(i);
            if (!slot.claimed && slot.record.entry().target().equals(target)) {
                slot.claimed = true;
                return slot.record;
            }
        }
        return null;
    }

    /** Ends a claim whose unmount failed; the record stays. Null is ignored. */
    public synchronized void release(MountRecord record) {
        for (Slot slot : slots) {
            if (slot.record == record) {
                slot.claimed = false;
            }
        }
    }

    private synchronized MountRecord newestOn(String target) {
        for (int i = slots.size() - 1; i >= 0; i--) {
            if (slots.get(i).record.entry().target().equals(target)) {
                return slots.get(i).record;
            }
        }
        return null;
    }

    /** The records that match, newest first. */
    public synchronized List<MountRecord> newestFirst(Predicate<MountRecord> filter) {
        List<MountRecord> found = new ArrayList<>();
        for (int i = slots.size() - 1; i >= 0; i--) {
            if (filter.test(slots.get(i).record)) {
                found.add(slots.get(i).record);
            }
        }
        return found;
    }

    public synchronized List<MountRecord> snapshot() {
        return slots.stream().map(slot -> slot.record).toList();
    }

    /**
     * Sets how {@code record} is doing (a record added serves); false if it is gone. Not
     * saved: a new mounterd finds out again.
     */
    public synchronized boolean setState(MountRecord record, MountState state, String reason) {
        for (Slot slot : slots) {
            if (slot.record == record) {
                slot.state = state;
                slot.stateReason = reason;
                return true;
            }
        }
        return false;
    }

    /** The records as {@link #snapshot()}, each entry with its state, for LIST. */
    public synchronized List<MountRecord> withStates() {
        return slots.stream().map(slot -> slot.state == MountState.SERVING ? slot.record
                : new MountRecord(slot.record.entry().withState(slot.state, slot.stateReason), slot.record.device()))
                .toList();
    }

    /** How many records are in each state, every state named. */
    public synchronized Map<MountState, Integer> countByState() {
        Map<MountState, Integer> counts = new EnumMap<>(MountState.class);
        for (MountState state : MountState.values()) {
            counts.put(state, 0);
        }
        slots.forEach(slot -> counts.merge(slot.state, 1, Integer::sum));
        return counts;
    }

    /** Counts additions: read it before a look at the host, then ask {@link #settledBy}. */
    public synchronized long generation() {
        return generation;
    }

    /**
     * The records added by {@code generation} and not claimed by a request: a record is
     * added after its mount is made, so each of these was mounted before a look at the host
     * that began after {@link #generation()} returned {@code generation}.
     */
    public synchronized List<MountRecord> settledBy(long generation) {
        return slots.stream().filter(slot -> slot.addedAt <= generation && !slot.claimed)
                .map(slot -> slot.record).toList();
    }

    public synchronized int size() {
        return slots.size();
    }
}

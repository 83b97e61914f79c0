package io.mounter.table;

import io.mounter.linux.Fuse;
import io.mounter.linux.MountInfo;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.MountSource;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MountEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Rebuilds the mount table at start from the saved state and the host's mountinfo. mounterd
 * never mounts here: it only decides which mounts it knows.
 * <ul>
 *   <li>A saved record whose mount is still there (same target, fstype and source, and the
 *       same device where the record has one) is known again, with the device mountinfo
 *       shows.</li>
 *   <li>A saved record whose mount is gone (unmounted, or the node rebooted) is dropped.</li>
 *   <li>A FUSE mount of an allowed fstype under an allowed prefix that no saved record
 *       names, and that a process of the mount container serves, is adopted, with requester
 *       pid 0: mounterd made it just before it died, too late for the state file. A FUSE
 *       mount nobody in the container serves is left alone: mounterd cannot tell a dead mount
 *       of its own from another driver's FUSE mount below the pod directories, and it never
 *       unmounts what it cannot show it made.</li>
 * </ul>
 */
final class TableRebuild {
    private TableRebuild() {
    }

    /**
     * The table to start with, in order (saved records first), and what was dropped: records
     * whose mount is gone, and records whose mount a process outside the mount container serves
     * (another driver's, which a crafted or stale record named).
     */
    record Result(List<MountRecord> known, List<MountRecord> adopted, List<MountRecord> gone,
                  List<MountRecord> foreign) {
        Result(List<MountRecord> known, List<MountRecord> adopted, List<MountRecord> gone) {
            this(known, adopted, gone, List.of());
        }

        List<MountRecord> table() {
            List<MountRecord> all = new ArrayList<>(known);
            all.addAll(adopted);
            return all;
        }
    }

    /**
     * @param daemonsByConnection FUSE connection id to the pid serving it in the mount
     *     container (mounterd's own pid excluded)
     * @param now the creation time given to adopted records
     */
    static Result rebuild(List<MountRecord> saved, List<MountInfo.Entry> mounts, MountPolicy policy,
                          Map<Integer, Integer> daemonsByConnection, long now) {
        return rebuild(saved, mounts, policy, daemonsByConnection, connection -> false, Map.of(), now);
    }

    /**
     * @param servedOutside whether a process outside the mount container holds a FUSE
     *     connection; asked only of saved FUSE records that no process in the container serves
     */
    static Result rebuild(List<MountRecord> saved, List<MountInfo.Entry> mounts, MountPolicy policy,
                          Map<Integer, Integer> daemonsByConnection, IntPredicate servedOutside,
                          Map<String, List<String>> commands, long now) {
        boolean[] used = new boolean[mounts.size()];
        List<MountRecord> known = new ArrayList<>();
        List<MountRecord> gone = new ArrayList<>();
        List<MountRecord> foreign = new ArrayList<>();
        for (MountRecord record : saved) {
            // the file is a hint, never an authority: a record the policy would not allow now
            // (another prefix, another type) is dropped, whatever is mounted there
            int found = allowed(judgedType(record, commands), record.entry().target(), policy)
                    ? find(record, mounts, used) : -1;
            if (found < 0) {
                gone.add(record);
                continue;
            }
            MountRecord restored = restored(record, mounts.get(found));
            int connection = restored.fuseConnection();
            // mounterd's FUSE mounts are served from the container, or by nobody (dead, to be
            // brought back); one served from elsewhere is not its own, and is never touched
            if (connection >= 0 && !daemonsByConnection.containsKey(connection) && servedOutside.test(connection)) {
                foreign.add(record);
            } else {
                used[found] = true;
                known.add(restored);
            }
        }
        List<MountRecord> adopted = new ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            MountInfo.Entry mount = mounts.get(i);
            if (!used[i] && isAdoptable(mount, policy) && daemonsByConnection.containsKey(mount.device().minor())) {
                adopted.add(new MountRecord(new MountEntry(mount.source(), mount.mountPoint(), mount.fstype(), 0, now, 0),
                        mount.device()));
            }
        }
        return new Result(known, adopted, gone, foreign);
    }

    /** The saved record with the host's device and source (the state file holds it masked). */
    private static MountRecord restored(MountRecord record, MountInfo.Entry mount) {
        MountEntry saved = record.entry();
        return new MountRecord(new MountEntry(saved.source() == null ? null : mount.source(), saved.target(),
                saved.fstype(), saved.requesterPid(), saved.createdAtMillis(), 0), mount.device());
    }

    private static int find(MountRecord record, List<MountInfo.Entry> mounts, boolean[] used) {
        for (int i = 0; i < mounts.size(); i++) {
            if (!used[i] && isSameMount(record, mounts.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The record names this mountinfo line: target, fstype, source (as masked for logs and the
     * state file) and, if the record has one, device agree.
     */
    static boolean isSameMount(MountRecord record, MountInfo.Entry mount) {
        MountEntry entry = record.entry();
        return entry.target().equals(mount.mountPoint())
                && (record.device() == null || record.device().equals(mount.device()))
                && Fuse.isShownAs(entry.fstype(), mount.fstype())
                && (entry.source() == null ? mount.source().equals("none")
                        : MountSource.mask(entry.source()).equals(MountSource.mask(mount.source())));
    }

    /**
     * The type a saved record is judged as. A mounterd before the daemon-naming one recorded a
     * daemon without a subtype (bindfs) as plain fuse; such a record is judged as
     * fuse.PROGRAM after its saved command's program, as the mount would be made now.
     */
    static String judgedType(MountRecord record, Map<String, List<String>> commands) {
        String fstype = record.entry().fstype();
        List<String> command = commands.getOrDefault(record.entry().target(), List.of());
        if (!(fstype.equals("fuse") || fstype.equals("fuseblk")) || command.isEmpty()) {
            return fstype;
        }
        String program = command.get(0).substring(command.get(0).lastIndexOf('/') + 1);
        return program.matches("[A-Za-z0-9_+.-]{1,64}") ? fstype + "." + program : fstype;
    }

    /** A FUSE mount the policy allows. */
    private static boolean isAdoptable(MountInfo.Entry mount, MountPolicy policy) {
        return Fuse.connection(mount.fstype(), mount.device()) >= 0
                && allowed(mount.fstype(), mount.mountPoint(), policy);
    }

    /** A type the policy allows (itself, or as its base type with a subtype), below a prefix. */
    private static boolean allowed(String fstype, String target, MountPolicy policy) {
        if (!policy.fstypes().contains(fstype) && !policy.fstypes().contains(Fuse.baseType(fstype))) {
            return false;
        }
        try {
            ContainedPath.within(target, policy.targetPrefixes());
            return true;
        } catch (Refusal outside) {
            return false;
        }
    }
}

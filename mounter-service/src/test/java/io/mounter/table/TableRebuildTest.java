package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Fuse;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.MountEntry;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TableRebuildTest {
    private static final String POD = "/var/lib/kubelet/pods/p/volumes/";
    /** The defaults and plain fuse, as an operator may allow it (--allow-fstype fuse). */
    private static final MountPolicy POLICY = new MountPolicy(withPlainFuse(), MountPolicy.DEFAULT_PREFIXES, Set.of(0));

    private static Set<String> withPlainFuse() {
        Set<String> fstypes = new HashSet<>(MountPolicy.DEFAULT_FSTYPES);
        fstypes.add("fuse");
        return fstypes;
    }
    private static final long NOW = 1_700_000_999_000L;

    private static MountRecord saved(String name, String fstype, String source, int minor) {
        return new MountRecord(new MountEntry(source, POD + name, fstype, 40 + minor, 1_700_000_000_000L + minor, 0),
                minor < 0 ? null : new DeviceNumber(0, minor));
    }

    private static MountInfo.Entry line(String mountPoint, String fstype, String source, int minor) {
        return new MountInfo.Entry(100 + minor, 29, new DeviceNumber(0, minor), "/", mountPoint, fstype, source);
    }

    private static final List<MountInfo.Entry> HOST_BASICS = List.of(
            new MountInfo.Entry(1, 0, new DeviceNumber(8, 1), "/", "/", "ext4", "/dev/sda1"),
            new MountInfo.Entry(2, 1, new DeviceNumber(0, 21), "/", "/proc", "proc", "proc"));

    private static List<MountInfo.Entry> host(MountInfo.Entry... mounts) {
        List<MountInfo.Entry> all = new java.util.ArrayList<>(HOST_BASICS);
        all.addAll(List.of(mounts));
        return all;
    }

    @Test
    void savedMountsStillThereAreKnownAgainInOrderAndGoneOnesDropped() {
        MountRecord a = saved("a", "fuse.sshfs", "u@h:/a", 50);
        MountRecord b = saved("b", "fuse", "/srv/b", 51);
        MountRecord gone = saved("gone", "fuse.sshfs", "u@h:/g", 52);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(a, gone, b),
                host(line(POD + "b", "fuse", "/srv/b", 51), line(POD + "a", "fuse.sshfs", "u@h:/a", 50)), POLICY,
                Map.of(50, 7, 51, 8), NOW);
        assertEquals(List.of(a, b), result.known(), "requester pids and times come from the state");
        assertEquals(List.of(gone), result.gone());
        assertEquals(List.of(), result.adopted(), "nothing to adopt: both are known");
        assertEquals(List.of(a, b), result.table());
    }

    /** Threat: a record in the file for a mount the policy does not cover (the host's tmpfs, another prefix). */
    @Test
    void aSavedRecordThePolicyWouldNotAllowIsDroppedWhateverIsMounted() {
        MountRecord hostTmpfs = saved("tmpfs", "tmpfs", "tmpfs", 53);
        MountRecord outside = new MountRecord(new MountEntry("u@h:/x", "/srv/elsewhere", "fuse.sshfs", 1, 1, 0),
                new DeviceNumber(0, 54));

        TableRebuild.Result result = TableRebuild.rebuild(List.of(hostTmpfs, outside),
                host(line(POD + "tmpfs", "tmpfs", "tmpfs", 53), line("/srv/elsewhere", "fuse.sshfs", "u@h:/x", 54)),
                POLICY, Map.of(54, 9), NOW);

        assertEquals(List.of(), result.known());
        assertEquals(List.of(hostTmpfs, outside), result.gone());
        assertEquals(List.of(), result.table());
    }

    @Test
    void aMountReplacedByAnotherOnTheSameTargetIsNotTheSavedOne() {
        // same target, fstype and source, but another filesystem: the saved mount went,
        // and someone made a new one since (the node rebooted, say)
        MountRecord old = saved("a", "fuse.sshfs", "u@h:/a", 50);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(old),
                host(line(POD + "a", "fuse.sshfs", "u@h:/a", 77)), POLICY, Map.of(), NOW);
        assertEquals(List.of(old), result.gone());
        assertEquals(List.of(), result.known());
    }

    @Test
    void anotherFstypeOrSourceOnTheTargetIsNotTheSavedMount() {
        MountRecord a = saved("a", "fuse.sshfs", "u@h:/a", -1);
        assertEquals(List.of(a), TableRebuild.rebuild(List.of(a), host(line(POD + "a", "fuse.bindfs", "u@h:/a", 50)),
                POLICY, Map.of(), NOW).gone());
        assertEquals(List.of(a), TableRebuild.rebuild(List.of(a), host(line(POD + "a", "fuse.sshfs", "u@h:/other", 50)),
                POLICY, Map.of(), NOW).gone());
    }

    /**
     * Update: a mounterd before the daemon-naming one saved bindfs's mount as plain fuse. With
     * its saved command the record is judged as fuse.bindfs, which the default policy allows;
     * without one it is plain fuse, which it does not.
     */
    @Test
    void aSavedPlainFuseRecordIsJudgedAfterItsSavedCommandsProgram() {
        MountPolicy defaults = new MountPolicy(MountPolicy.DEFAULT_FSTYPES, MountPolicy.DEFAULT_PREFIXES, Set.of(0));
        MountRecord named = saved("named", "fuse", "/srv/named", 70);
        MountRecord unnamed = saved("unnamed", "fuse", "/srv/unnamed", 71);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(named, unnamed),
                host(line(POD + "named", "fuse", "/srv/named", 70), line(POD + "unnamed", "fuse", "/srv/unnamed", 71)),
                defaults, Map.of(70, 1, 71, 2), connection -> false,
                Map.of(POD + "named", List.of("/usr/bin/bindfs", "/srv/named", POD + "named")), NOW);
        assertEquals(List.of(named), result.known());
        assertEquals(List.of(unnamed), result.gone());
    }

    /**
     * Threat: a crafted or stale record naming another driver's FUSE mount. Known only if a
     * process in the container serves it, or nobody does (a dead mount of mounterd's, to be
     * brought back); one served from outside the container is not mounterd's.
     */
    @Test
    void aSavedFuseRecordServedFromOutsideTheContainerIsForeign() {
        MountRecord ours = saved("ours", "fuse.sshfs", "u@h:/a", 60);
        MountRecord dead = saved("dead", "fuse.sshfs", "u@h:/b", 61);
        MountRecord theirs = saved("theirs", "fuse.sshfs", "u@h:/c", 62);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(ours, dead, theirs),
                host(line(POD + "ours", "fuse.sshfs", "u@h:/a", 60), line(POD + "dead", "fuse.sshfs", "u@h:/b", 61),
                        line(POD + "theirs", "fuse.sshfs", "u@h:/c", 62)),
                POLICY, Map.of(60, 1234), connection -> connection == 62 || connection == 60, Map.of(), NOW);
        assertEquals(List.of(ours, dead), result.known());
        assertEquals(List.of(theirs), result.foreign());
        assertEquals(List.of(), result.adopted(), "not adopted either: nobody in the container serves it");
    }

    @Test
    void aMaskedSavedSourceMatchesAndGetsTheRealSourceBack() {
        MountRecord masked = saved("dav", "fuse.davfs", "https://u:<masked>@dav.example/d", 66);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(masked),
                host(line(POD + "dav", "fuse.davfs", "https://u:pw@dav.example/d", 66)), POLICY, Map.of(), NOW);
        assertEquals(1, result.known().size());
        assertEquals("https://u:pw@dav.example/d", result.known().get(0).entry().source());
        assertEquals(masked.entry().requesterPid(), result.known().get(0).entry().requesterPid());
    }

    @Test
    void aRecordWithoutDeviceGetsTheDeviceTheHostShows() {
        MountRecord a = saved("a", "fuse.sshfs", "u@h:/a", -1);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(a), host(line(POD + "a", "fuse.sshfs", "u@h:/a", 61)),
                POLICY, Map.of(), NOW);
        assertEquals(List.of(new MountRecord(a.entry(), new DeviceNumber(0, 61))), result.known());
    }

    @Test
    void fuseWithASubtypeOptionAndANullSourceMatchWhatTheKernelShows() {
        MountRecord subtype = saved("s", "fuse", "/srv/s", 70);
        MountRecord noSource = saved("n", "fuse.sshfs", null, 71);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(subtype, noSource),
                host(line(POD + "s", "fuse.bindfs", "/srv/s", 70), line(POD + "n", "fuse.sshfs", "none", 71)), POLICY,
                Map.of(), NOW);
        assertEquals(List.of(subtype, noSource), result.known());
        assertFalse(Fuse.isShownAs("fuse.sshfs", "fuse.sshfs2"));
    }

    @Test
    void stackedMountsOnOneTargetAreMatchedOneToOne() {
        MountRecord lower = saved("a", "fuse.sshfs", "u@h:/a", -1);
        MountRecord upper = saved("a", "fuse.sshfs", "u@h:/a", -1);
        MountRecord third = saved("a", "fuse.sshfs", "u@h:/a", -1);
        TableRebuild.Result result = TableRebuild.rebuild(List.of(lower, upper, third),
                host(line(POD + "a", "fuse.sshfs", "u@h:/a", 80), line(POD + "a", "fuse.sshfs", "u@h:/a", 81)), POLICY,
                Map.of(), NOW);
        assertEquals(2, result.known().size());
        assertEquals(new DeviceNumber(0, 80), result.known().get(0).device());
        assertEquals(new DeviceNumber(0, 81), result.known().get(1).device());
        assertEquals(List.of(third), result.gone(), "one host mount is never known twice");
    }

    @Test
    void unsavedFuseMountsServedFromTheContainerAreAdoptedWithRequesterZero() {
        TableRebuild.Result result = TableRebuild.rebuild(List.of(),
                host(line(POD + "late", "fuse.sshfs", "u@h:/late", 90)), POLICY, Map.of(90, 4242), NOW);
        assertEquals(List.of(new MountRecord(new MountEntry("u@h:/late", POD + "late", "fuse.sshfs", 0, NOW, 0),
                new DeviceNumber(0, 90))), result.adopted());
    }

    @Test
    void onlyServedFuseMountsOfAllowedTypesBelowThePrefixesAreAdopted() {
        TableRebuild.Result result = TableRebuild.rebuild(List.of(), host(
                line(POD + "unserved", "fuse.sshfs", "u@h:/x", 91),                  // nobody in the container serves it
                line("/mnt/outside", "fuse.sshfs", "u@h:/x", 92),                    // outside the prefixes
                line("/var/lib/kubelet/pods", "fuse.sshfs", "u@h:/x", 93),           // the prefix itself
                line(POD + "tmpfs", "tmpfs", "tmpfs", 94),                           // not FUSE
                line(POD + "other", "fuseblk.ntfs", "x", 95),                        // type not allowed
                line(POD + "blk", "fuseblk", "/dev/sdb1", 96),                       // not allowed by default
                line(POD + "sub", "fuse.custom", "x", 97)),                          // fuse + subtype: "fuse" allows it
                POLICY, Map.of(92, 1, 93, 1, 94, 1, 95, 1, 96, 1, 97, 1), NOW);
        assertEquals(List.of(POD + "sub"), result.adopted().stream().map(r -> r.entry().target()).toList());

        MountPolicy sshfsOnly = new MountPolicy(Set.of("fuse.sshfs"), MountPolicy.DEFAULT_PREFIXES, Set.of(0));
        assertEquals(List.of(), TableRebuild.rebuild(List.of(), host(line(POD + "sub", "fuse.custom", "x", 97)),
                sshfsOnly, Map.of(97, 1), NOW).adopted(), "without \"fuse\" a subtype of it is not allowed");
    }

    @Test
    void anEmptyStateAndAnEmptyHostGiveAnEmptyTable() {
        TableRebuild.Result result = TableRebuild.rebuild(List.of(), HOST_BASICS, POLICY, Map.of(), NOW);
        assertEquals(List.of(), result.table());
        assertEquals(List.of(), result.gone());
    }
}

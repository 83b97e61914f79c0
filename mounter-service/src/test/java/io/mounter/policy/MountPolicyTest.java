package io.mounter.policy;

import static io.mounter.linux.Errno.EINVAL;
import static io.mounter.linux.Errno.EPERM;
import static io.mounter.linux.MountFlags.MS_BIND;
import static io.mounter.linux.MountFlags.MS_KERNMOUNT;
import static io.mounter.linux.MountFlags.MS_MANDLOCK;
import static io.mounter.linux.MountFlags.MS_MGC_VAL;
import static io.mounter.linux.MountFlags.MS_MOVE;
import static io.mounter.linux.MountFlags.MS_NODEV;
import static io.mounter.linux.MountFlags.MS_NOEXEC;
import static io.mounter.linux.MountFlags.MS_NOSUID;
import static io.mounter.linux.MountFlags.MS_PRIVATE;
import static io.mounter.linux.MountFlags.MS_RDONLY;
import static io.mounter.linux.MountFlags.MS_REC;
import static io.mounter.linux.MountFlags.MS_RELATIME;
import static io.mounter.linux.MountFlags.MS_REMOUNT;
import static io.mounter.linux.MountFlags.MS_SHARED;
import static io.mounter.linux.MountFlags.MS_SLAVE;
import static io.mounter.linux.MountFlags.MS_UNBINDABLE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.PeerCredentials;
import io.mounter.protocol.Limits;
import io.mounter.protocol.Request;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountPolicyTest {
    private static final String POD = "/var/lib/kubelet/pods";
    private static final String TARGET = POD + "/p/volumes/v";
    private static final AttachedDescriptor FUSE_FD = new AttachedDescriptor(17, true);

    private final MountPolicy policy = new MountPolicy(withTmpfs(), MountPolicy.DEFAULT_PREFIXES, Set.of(0));

    private static Set<String> withTmpfs() {
        Set<String> fstypes = new HashSet<>(MountPolicy.DEFAULT_FSTYPES);
        fstypes.add("tmpfs");
        return fstypes;
    }

    private static Request.Mount fuse(String target, long flags, String data, int senderFd) {
        return new Request.Mount(1, "u@h:/d", target, "fuse.sshfs", flags, data, senderFd);
    }

    private static Request.Mount fuse(String target) {
        return fuse(target, 0, "fd=3,rootmode=40000", 3);
    }

    private static Request.Mount tmpfs(String data, int senderFd) {
        return new Request.Mount(1, "none", TARGET, "tmpfs", 0, data, senderFd);
    }

    private static void assertRefused(int errno, Executable call) {
        Refusal refusal = assertThrows(Refusal.class, call);
        assertEquals(errno, refusal.errno(), refusal.getMessage());
        assertFalse(refusal.getMessage().isBlank());
    }

    // ---- the type the kernel records -----------------------------------------------------

    private static Request.Mount plainFuse(String data) {
        return new Request.Mount(1, "src", TARGET, "fuse", 0, data, 3);
    }

    /** Threat: plain fuse is allowed, and subtype=evil would make the kernel record fuse.evil. */
    @Test
    void aSubtypeOptionIsJudgedAsTheTypeTheKernelRecords() {
        Set<String> withPlainFuse = new HashSet<>(withTmpfs());
        withPlainFuse.add("fuse");
        MountPolicy plainFuseAllowed = new MountPolicy(withPlainFuse, MountPolicy.DEFAULT_PREFIXES, Set.of(0));
        assertRefused(EPERM, () -> plainFuseAllowed.authorizeMount(plainFuse("fd=3,rootmode=40000,subtype=evil"),
                FUSE_FD));

        AuthorizedMount sshfs = plainFuseAllowed.authorizeMount(plainFuse("fd=3,rootmode=40000,subtype=sshfs"),
                FUSE_FD);

        assertEquals("fuse.sshfs", sshfs.fstype(), "mounted, and recorded, as the kernel records it");
        assertEquals("fd=17,rootmode=40000", sshfs.data());
        assertEquals("fuse", plainFuseAllowed.authorizeMount(plainFuse("fd=3,rootmode=40000"), FUSE_FD).fstype());
    }

    /**
     * Threat: libfuse asks for plain fuse when its fuse.TYPE was refused (the fusermount
     * fallback drops the subtype), so the default policy, which names each type, refuses it;
     * the type the kernel will record decides, so plain fuse with an allowed subtype passes.
     */
    @Test
    void theDefaultPolicyRefusesPlainFuseButNotAnAllowedTypeDeclaredThroughSubtype() {
        assertFalse(MountPolicy.DEFAULT_FSTYPES.contains("fuse"));
        Refusal refusal = assertThrows(Refusal.class,
                () -> policy.authorizeMount(plainFuse("fd=3,rootmode=40000"), FUSE_FD));
        assertEquals("fstype fuse is not allowed", refusal.getMessage());
        assertEquals("fuse.sshfs", policy.authorizeMount(plainFuse("fd=3,rootmode=40000,subtype=sshfs"), FUSE_FD)
                .fstype());
    }

    /** bindfs (libfuse 2) gives no subtype: its mount is made as fuse.bindfs, after its program. */
    @Test
    void plainFuseIsNamedAfterItsDaemonAndJudgedSo() {
        AuthorizedMount bindfs = policy.authorizeMount(plainFuse("fd=3,rootmode=40000"), FUSE_FD,
                () -> Optional.of("bindfs"));
        assertEquals("fuse.bindfs", bindfs.fstype());
        assertEquals("fd=17,rootmode=40000", bindfs.data());

        Refusal overlay = assertThrows(Refusal.class, () -> policy.authorizeMount(plainFuse("fd=3,rootmode=40000"),
                FUSE_FD, () -> Optional.of("fuse-overlayfs")));
        assertEquals("fstype fuse.fuse-overlayfs (fuse, named after its daemon's program) is not allowed",
                overlay.getMessage());
        assertEquals("fuse.sshfs", policy.authorizeMount(plainFuse("fd=3,rootmode=40000,subtype=sshfs"), FUSE_FD,
                () -> Optional.of("fuse-overlayfs")).fstype(), "a subtype the daemon gives is kept");
    }

    @Test
    void aSubtypeGivenTwiceOrEmptyIsRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, "fd=3,subtype=sshfs", 3), FUSE_FD));
        assertRefused(EINVAL, () -> policy.authorizeMount(plainFuse("fd=3,subtype=sshfs,subtype=bindfs"), FUSE_FD));
        assertRefused(EINVAL, () -> policy.authorizeMount(plainFuse("fd=3,subtype="), FUSE_FD));
    }

    /** Threat: the kernel takes a source= option over the request's source, for mountinfo and logs. */
    @Test
    void aSourceOptionIsRefused() {
        assertRefused(EPERM, () -> policy.authorizeMount(fuse(TARGET, 0, "fd=3,source=//trusted/share", 3), FUSE_FD));
    }

    // ---- a FUSE mount that passes ------------------------------------------------------

    @Test
    void anAllowedFuseMountGetsTheLocalFdAndNosuidNodev() {
        AuthorizedMount mount = policy.authorizeMount(
                fuse(TARGET, 0, "rootmode=40000,fd=3,user_id=0,allow_other", 3), FUSE_FD);

        assertEquals("rootmode=40000,fd=17,user_id=0,allow_other", mount.data());
        assertEquals(MS_NOSUID | MS_NODEV, mount.flags());
        assertEquals(new ContainedPath(POD, "p/volumes/v"), mount.target());
        assertEquals("u@h:/d", mount.source());
        assertEquals("fuse.sshfs", mount.fstype());
    }

    @Test
    void allowedFlagsThatWereAskedForAreKept() {
        AuthorizedMount mount = policy.authorizeMount(fuse(TARGET, MS_RDONLY | MS_NOEXEC | MS_RELATIME,
                "fd=3", 3), FUSE_FD);
        assertEquals(MS_RDONLY | MS_NOEXEC | MS_RELATIME | MS_NOSUID | MS_NODEV, mount.flags());
    }

    @Test
    void theOldMagicInTheTopBitsIsStripped() {
        AuthorizedMount mount = policy.authorizeMount(fuse(TARGET, MS_MGC_VAL | MS_RDONLY, "fd=3", 3), FUSE_FD);
        assertEquals(MS_RDONLY | MS_NOSUID | MS_NODEV, mount.flags());
        assertEquals(0, policy.authorizeMount(new Request.Mount(1, "none", TARGET, "tmpfs", MS_MGC_VAL, "", -1),
                null).flags());
    }

    // ---- fstype, target ----------------------------------------------------------------

    @Test
    void anFstypeNotAllowedIsRefused() {
        assertRefused(EPERM, () -> policy.authorizeMount(
                new Request.Mount(1, "/dev/sda1", TARGET, "ext4", 0, "", -1), null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/etc",
        "/",
        POD,
        POD + "/",
        POD + "//",
        "/var/lib/kubelet/pods2/x",
        "/var/lib/kubelet",
        "/var/lib/kubelet/pods/../../../etc",
        "/var/lib/kubelet/pods/p/..",
        "/var/lib/kubelet/pods/./p",
        "/var/lib/kubelet/pods/p/.",
    })
    void aTargetNotStrictlyBelowAPrefixIsRefusedWithEperm(String target) {
        assertRefused(EPERM, () -> policy.authorizeMount(fuse(target), FUSE_FD));
    }

    @ParameterizedTest
    @ValueSource(strings = {"var/lib/kubelet/pods/p", "", "p"})
    void aRelativeTargetIsRefusedWithEinval(String target) {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(target), FUSE_FD));
    }

    @Test
    void repeatedAndTrailingSlashesAreNormalised() {
        AuthorizedMount mount = policy.authorizeMount(fuse("//var//lib/kubelet/pods///p/volumes//v/"), FUSE_FD);
        assertEquals(new ContainedPath(POD, "p/volumes/v"), mount.target());
        assertEquals(TARGET, mount.target().full());
    }

    @Test
    void prefixesAreNormalisedWhenThePolicyIsBuilt() {
        MountPolicy trailing = new MountPolicy(Set.of("tmpfs"), List.of("/srv//mounts/"), Set.of(0));
        assertEquals(List.of("/srv/mounts"), trailing.targetPrefixes());
        assertEquals(new ContainedPath("/srv/mounts", "a"),
                trailing.authorizeMount(new Request.Mount(1, "none", "/srv/mounts/a", "tmpfs", 0, "", -1), null)
                        .target());
    }

    // ---- flags -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {MS_BIND, MS_MOVE, MS_REMOUNT, MS_REC, MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE,
        MS_MANDLOCK, MS_KERNMOUNT, MS_BIND | MS_REC, MS_MGC_VAL | MS_BIND, MS_RDONLY | MS_REMOUNT, 1L << 9,
        1L << 30, 1L << 40})
    void aDangerousOrUnknownFlagIsRefusedWithEperm(long flags) {
        assertRefused(EPERM, () -> policy.authorizeMount(fuse(TARGET, flags, "fd=3", 3), FUSE_FD));
        assertRefused(EPERM, () -> policy.authorizeMount(
                new Request.Mount(1, "none", TARGET, "tmpfs", flags, "", -1), null));
    }

    // ---- FUSE descriptor rules ---------------------------------------------------------

    @Test
    void aFuseMountWithoutADescriptorIsRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, "fd=3", -1), null));
    }

    @Test
    void anAttachedDescriptorWithoutTheFdFieldIsRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, "fd=3", -1), FUSE_FD));
    }

    @Test
    void anAnnouncedDescriptorThatDidNotArriveIsRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, "fd=3", 3), null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rootmode=40000", "", "fd=3,fd=3", "fd=3,rootmode=40000,fd=4", "fd", "fdx=3"})
    void aFuseMountNeedsExactlyOneFdOption(String data) {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, data, 3), FUSE_FD));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fd=4", "fd=03", "fd= 3", "fd=", "fd=17"})
    void anFdOptionNotNamingTheAnnouncedDescriptorIsRefused(String data) {
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, data, 3), FUSE_FD));
    }

    @Test
    void aDescriptorThatIsNotDevFuseIsRefusedWithEperm() {
        assertRefused(EPERM, () -> policy.authorizeMount(fuse(TARGET), new AttachedDescriptor(17, false)));
    }

    // ---- non-FUSE ----------------------------------------------------------------------

    @Test
    void aTmpfsMountKeepsItsOptionsAndFlags() {
        AuthorizedMount mount = policy.authorizeMount(
                new Request.Mount(1, "none", TARGET, "tmpfs", MS_NOEXEC, "size=1m,mode=0755", -1), null);
        assertEquals("size=1m,mode=0755", mount.data());
        assertEquals(MS_NOEXEC, mount.flags());
    }

    @Test
    void aTmpfsMountWithADescriptorIsRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("size=1m", 3), FUSE_FD));
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("size=1m", -1), FUSE_FD));
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("size=1m", 3), null));
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("size=1m,fd=3", -1), null));
    }

    // ---- option strings ----------------------------------------------------------------

    @Test
    void optionsLongerThanAPageAreRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("x".repeat(4097), -1), null));
    }

    /**
     * mount(2) keeps one page and overwrites its last byte with NUL: a 4096-byte string would
     * reach the filesystem cut, other than the policy checked it.
     */
    @Test
    void optionsTheKernelWouldCutAreRefused() {
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs("x".repeat(4096), -1), null));
        assertDoesNotThrow(() -> policy.authorizeMount(tmpfs("x".repeat(4095), -1), null));
    }

    /** fd=3 rewritten to fd=17 grows by one byte; cut by the kernel it would name fd=1. */
    @Test
    void aFuseOptionStringThatGrowsPastTheKernelLimitWhenRewrittenIsRefused() {
        String tail = ",fd=3";
        String fits = "x".repeat(4094 - tail.length()) + tail;
        assertEquals(4095, policy.authorizeMount(fuse(TARGET, 0, fits, 3), FUSE_FD).data().length());
        String grows = "x".repeat(4095 - tail.length()) + tail;
        assertRefused(EINVAL, () -> policy.authorizeMount(fuse(TARGET, 0, grows, 3), FUSE_FD));
    }

    @ParameterizedTest
    @ValueSource(strings = {"size=1m,,mode=0755", ",size=1m", "size=1m,", ","})
    void anEmptyOptionIsRefused(String data) {
        assertRefused(EINVAL, () -> policy.authorizeMount(tmpfs(data, -1), null));
    }

    // ---- peer and unmount --------------------------------------------------------------

    @Test
    void onlyListedPeerUidsMayAsk() {
        assertRefused(EPERM, () -> policy.checkPeer(new PeerCredentials(4242, 1000, 1000)));
        assertDoesNotThrow(() -> policy.checkPeer(new PeerCredentials(4242, 0, 0)));
        MountPolicy other = new MountPolicy(Set.of(), List.of(), Set.of(1000));
        assertDoesNotThrow(() -> other.checkPeer(new PeerCredentials(4242, 1000, 1000)));
        assertRefused(EPERM, () -> other.checkPeer(new PeerCredentials(4242, 0, 0)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x10, 0x100, 0x8000_0000, -1})
    void unknownUmountFlagsAreRefused(int flags) {
        assertRefused(EINVAL, () -> policy.authorizeUnmount(new Request.Umount(1, TARGET, flags)));
    }

    @Test
    void anUnmountFollowsTheTargetRules() {
        assertEquals(new ContainedPath(POD, "p/volumes/v"),
                policy.authorizeUnmount(new Request.Umount(1, TARGET + "/", 0x1 | 0x2 | 0x4 | 0x8)));
        assertRefused(EPERM, () -> policy.authorizeUnmount(new Request.Umount(1, "/etc", 0)));
        assertRefused(EPERM, () -> policy.authorizeUnmount(new Request.Umount(1, POD, 0)));
        assertRefused(EPERM, () -> policy.authorizeUnmount(new Request.Umount(1, POD + "/p/../..", 0)));
    }

    // ---- RUN_MOUNT (the mount helper) --------------------------------------------------

    /** The default fstypes only: no tmpfs, no ext4. */
    private final MountPolicy defaults = new MountPolicy(MountPolicy.DEFAULT_FSTYPES, MountPolicy.DEFAULT_PREFIXES,
            Set.of(0));

    private static Request.RunMount run(String fstype, String source, String target, String options) {
        return new Request.RunMount(1, source, target, fstype, options, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"glusterfs", "fuse.glusterfs", "sshfs", "fuse.sshfs", "fuse"})
    void aHelperTypeIsAllowedWhenItOrItsFuseFormIs(String fstype) {
        assertEquals(new ContainedPath(POD, "p/volumes/v"),
                defaults.authorizeHelperMount(run(fstype, "server:/vol", TARGET + "//", "ro")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "tmpfs", "nfs", "fuseblk", "fuse.ext4", "glusterfs,ext4", "", "fuse."})
    void aHelperTypeOutsideTheListIsRefusedWithEperm(String fstype) {
        assertRefused(EPERM, () -> defaults.authorizeHelperMount(run(fstype, "server:/vol", TARGET, null)));
    }

    @Test
    void aHelperTypeFollowsTheConfiguredListNotTheDefaults() {
        assertEquals(new ContainedPath(POD, "p/volumes/v"),
                policy.authorizeHelperMount(run("tmpfs", "none", TARGET, "size=1m")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc", "/var/lib/kubelet/pods", "/var/lib/kubelet/podsx/a",
        "/var/lib/kubelet/pods/p/../../../etc"})
    void aHelperTargetOutsideThePrefixesIsRefusedWithEperm(String target) {
        assertRefused(EPERM, () -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", target, null)));
    }

    @Test
    void aRelativeHelperTargetIsRefusedWithEinval() {
        assertRefused(EINVAL, () -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", "p/volumes/v", null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "-oremount", "--bind", "-t"})
    void aHelperSourceThatIsEmptyOrLooksLikeAnOptionIsRefusedWithEinval(String source) {
        assertRefused(EINVAL, () -> defaults.authorizeHelperMount(run("fuse.sshfs", source, TARGET, null)));
    }

    @Test
    void aDashInsideTheHelperSourceIsFine() {
        assertEquals(new ContainedPath(POD, "p/volumes/v"),
                defaults.authorizeHelperMount(run("glusterfs", "gluster-1:/vol-a", TARGET, null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-", "-oremount", "--bind"})
    void helperOptionsThatLookLikeAnOptionAreRefusedWithEinval(String options) {
        assertRefused(EINVAL, () -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", TARGET, options)));
    }

    @Test
    void helperOptionsMayBeAbsentOrEmptyAndUpTo4096Long() {
        assertDoesNotThrow(() -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", TARGET, null)));
        assertDoesNotThrow(() -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", TARGET, "")));
        assertDoesNotThrow(() -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", TARGET,
                "o".repeat(Limits.DATA_MAX))));
        assertRefused(EINVAL, () -> defaults.authorizeHelperMount(run("fuse.sshfs", "u@h:/d", TARGET,
                "o".repeat(Limits.DATA_MAX + 1))));
    }

    // ---- ContainedPath -----------------------------------------------------------------

    @Test
    void aContainedPathSplitsIntoParentAndName() {
        ContainedPath deep = ContainedPath.within(POD + "/a/b/c", MountPolicy.DEFAULT_PREFIXES);
        assertEquals("a/b", deep.parentRelative());
        assertEquals("c", deep.name());
        assertEquals(POD + "/a/b/c", deep.full());

        ContainedPath shallow = ContainedPath.within(POD + "/a", MountPolicy.DEFAULT_PREFIXES);
        assertEquals("", shallow.parentRelative());
        assertEquals("a", shallow.name());
    }

    @Test
    void theFirstPrefixHoldingTheTargetWins() {
        assertEquals(new ContainedPath("/var/lib/kubelet/plugins", "x/y"),
                ContainedPath.within("/var/lib/kubelet/plugins/x/y", MountPolicy.DEFAULT_PREFIXES));
        ContainedPath underRoot = ContainedPath.within("/mnt/x", List.of("/"));
        assertEquals(new ContainedPath("/", "mnt/x"), underRoot);
        assertEquals("/mnt/x", underRoot.full());
        assertEquals("mnt", underRoot.parentRelative());
    }

}

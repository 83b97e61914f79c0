package io.mounter.request;

import static io.mounter.linux.Errno.EAGAIN;
import static io.mounter.linux.Errno.EBADF;
import static io.mounter.linux.Errno.EBADMSG;
import static io.mounter.linux.Errno.EBUSY;
import static io.mounter.linux.Errno.EINVAL;
import static io.mounter.linux.Errno.EMSGSIZE;
import static io.mounter.linux.Errno.EPERM;
import static io.mounter.linux.Errno.EPROTONOSUPPORT;
import static io.mounter.linux.Errno.ETIMEDOUT;
import static io.mounter.linux.MountFlags.MS_BIND;
import static io.mounter.linux.MountFlags.MS_NODEV;
import static io.mounter.linux.MountFlags.MS_NOEXEC;
import static io.mounter.linux.MountFlags.MS_NOSUID;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestHandlerTest {
    private static final String POD = "/var/lib/kubelet/pods";
    private static final String TARGET = POD + "/p/volumes/v";
    private static final ContainedPath CONTAINED = new ContainedPath(POD, "p/volumes/v");
    private static final PeerCredentials ROOT = new PeerCredentials(4321, 0, 0);
    private static final PeerCredentials USER = new PeerCredentials(4322, 1000, 1000);
    private static final long NOW = 1_700_000_000_123L;
    private static final int MNT_DETACH = 0x2;

    private static final DeviceNumber DEVICE = new DeviceNumber(0, 42);

    private final FakeExecutor mounter = new FakeExecutor();
    private final MountTable table = new MountTable();
    private final MutableClock clock = new MutableClock(NOW);
    private final FakeHelper helper = new FakeHelper();
    private final FakeDaemons daemons = new FakeDaemons();
    private final RequestHandler handler = new RequestHandler(policy(), mounter, table, clock, helper, daemons);
    private final List<Integer> opened = new ArrayList<>();

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private long millis;

        MutableClock(long millis) {
            this.millis = millis;
        }

        void set(long millis) {
            this.millis = millis;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** Records each run; does {@link #whileRunning} and then returns {@link #result} or throws {@link #failWith}. */
    static final class FakeHelper implements HelperRunner {
        record Run(List<String> argv, Duration timeout) {
        }

        final List<Run> runs = new ArrayList<>();
        MountHelper.Result result = new MountHelper.Result(0, false, "");
        RuntimeException failWith;
        Runnable whileRunning = () -> { };

        @Override
        public MountHelper.Result run(List<String> argv, Duration timeout) {
            runs.add(new Run(List.copyOf(argv), timeout));
            if (failWith != null) {
                throw failWith;
            }
            whileRunning.run();
            return result;
        }
    }

    /** Returns {@link #found} and counts the calls. */
    static final class FakeDaemons implements DaemonLocator {
        Map<Integer, Integer> found = Map.of();
        int calls;

        @Override
        public Map<Integer, Integer> byConnection() {
            calls++;
            return found;
        }
    }

    private static MountPolicy policy() {
        Set<String> fstypes = new HashSet<>(MountPolicy.DEFAULT_FSTYPES);
        fstypes.add("tmpfs");
        return new MountPolicy(fstypes, MountPolicy.DEFAULT_PREFIXES, Set.of(0));
    }

    @AfterEach
    void closeOpened() {
        opened.forEach(Syscalls::closeQuietly);
    }

    private int devNull() {
        int fd = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        opened.add(fd);
        return fd;
    }

    private Reply handle(Request request, PeerCredentials peer, int... fds) {
        byte[] reply = Wire.handle(handler, new ReceivedMessage(MessageCodec.encodeRequest(request), fds, false, false), peer);
        return MessageCodec.decodeReply(reply);
    }

    private static Request.Mount tmpfs(String source, String target) {
        return new Request.Mount(5, source, target, "tmpfs", MS_NOEXEC, "size=1m,mode=0755", -1);
    }

    private static Request.Mount sshfs(int senderFd) {
        return new Request.Mount(6, "u@h:/d", TARGET + "/", "fuse.sshfs", 0,
                "fd=" + senderFd + ",rootmode=40000,user_id=0,group_id=0", senderFd);
    }

    private static void assertRefusal(Reply reply, int errno, int id) {
        assertEquals(errno, reply.status(), reply.message());
        assertEquals(id, reply.id());
        assertFalse(reply.message().isBlank(), "a reason");
    }

    // ---- mounts that pass --------------------------------------------------------------

    @Test
    void aTmpfsMountIsMadeAndRecorded() {
        Reply reply = handle(tmpfs("none", TARGET), ROOT);

        assertEquals(new Reply(5, 0x8001, 0, "", List.of(), -1, -1, ""), reply);
        assertEquals(List.of(new AuthorizedMount("none", CONTAINED, "tmpfs", MS_NOEXEC, "size=1m,mode=0755")),
                mounter.mounts);
        assertEquals(List.of(new MountRecord(new MountEntry("none", TARGET, "tmpfs", ROOT.pid(), NOW, 0), DEVICE)),
                table.snapshot());
    }

    /** A /dev/fuse descriptor, closed after the test; the test is skipped where none can be opened. */
    private int openDevFuse() {
        int fuse;
        try {
            fuse = Syscalls.open("/dev/fuse", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        } catch (SyscallException e) {
            Assumptions.abort("cannot open /dev/fuse: " + e.getMessage());
            throw new AssertionError("unreachable", e);
        }
        opened.add(fuse);
        return fuse;
    }

    @Test
    void aFuseMountWithDevFuseGetsTheLocalDescriptorNumber() {
        int fuse = openDevFuse();

        Reply reply = handle(sshfs(3), ROOT, fuse);

        assertEquals(0, reply.status(), reply.message());
        assertEquals(1, mounter.mounts.size());
        AuthorizedMount mount = mounter.mounts.get(0);
        assertEquals("fd=" + fuse + ",rootmode=40000,user_id=0,group_id=0", mount.data());
        assertEquals(MS_NOSUID | MS_NODEV, mount.flags());
        assertEquals(List.of(new MountRecord(new MountEntry("u@h:/d", TARGET, "fuse.sshfs", ROOT.pid(), NOW, 0),
                DEVICE)), table.snapshot());
    }

    /**
     * Threat: a user mounting without end through the setuid stand-in (root by SO_PEERCRED,
     * a user by its real uid). fusermount's mount_max holds for users; root is not counted.
     */
    @Test
    void aUserPastMountMaxIsRefusedAndRootIsNot(@TempDir Path dir) throws IOException {
        Path fuseConf = Files.writeString(dir.resolve("fuse.conf"), "# two\nmount_max = 2\n");
        handler.setFuseConf(new FuseConf(fuseConf));
        PeerCredentials userByStandIn = new PeerCredentials(4323, 0, 0).withRealUid(65534);
        record("first", "fuse.sshfs", new DeviceNumber(0, 50));
        assertEquals(0, handle(sshfs(3), userByStandIn, openDevFuse()).status(), "one FUSE mount, a second allowed");

        Reply third = handle(sshfs(3), userByStandIn, openDevFuse());

        assertRefusal(third, EPERM, 6);
        assertEquals("too many FUSE filesystems mounted; mount_max=2 can be set in /etc/fuse.conf", third.message());
        assertEquals(0, handle(sshfs(3), ROOT, openDevFuse()).status(), "root is not bound by mount_max");
        assertEquals(3, table.size());
    }

    @Test
    void mountMaxIsFusermountsDefaultWithoutTheFileOrTheLine(@TempDir Path dir) throws IOException {
        assertEquals(1000, new FuseConf(dir.resolve("missing")).mountMax());
        assertEquals(1000, new FuseConf(Files.writeString(dir.resolve("a"), "user_allow_other\n")).mountMax());
        assertEquals(7, new FuseConf(Files.writeString(dir.resolve("b"), "mount_max=5\n  mount_max = 7 \n")).mountMax());
    }

    // ---- refusals ----------------------------------------------------------------------

    @Test
    void aDescriptorThatIsNotDevFuseIsRefusedWithEperm() {
        Reply reply = handle(sshfs(3), ROOT, devNull());
        assertRefusal(reply, EPERM, 6);
        assertTrue(mounter.untouched());
        assertEquals(List.of(), table.snapshot());
    }

    static Stream<Arguments> refusedMounts() {
        return Stream.of(
                arguments("fstype not allowed", new Request.Mount(5, "/dev/sda1", TARGET, "ext4", 0, "", -1), EPERM),
                arguments("target outside the prefixes", tmpfs("none", "/etc"), EPERM),
                arguments("target with ..", tmpfs("none", POD + "/p/../../../../etc"), EPERM),
                arguments("relative target", tmpfs("none", "etc"), EINVAL),
                arguments("MS_BIND", new Request.Mount(5, "/", TARGET, "tmpfs", MS_BIND, "", -1), EPERM),
                arguments("FUSE without a descriptor", new Request.Mount(5, "u@h:/d", TARGET, "fuse.sshfs", 0,
                        "fd=3,rootmode=40000", -1), EINVAL),
                arguments("FD field on tmpfs, nothing attached", new Request.Mount(5, "none", TARGET, "tmpfs", 0,
                        "", 3), EINVAL),
                arguments("empty option", new Request.Mount(5, "none", TARGET, "tmpfs", 0, "size=1m,,ro", -1),
                        EINVAL),
                arguments("a long non-ASCII target outside the prefixes",
                        tmpfs("none", "/" + "é".repeat(2000)), EPERM));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedMounts")
    void aRefusedMountGetsItsErrnoAndNothingIsMounted(String what, Request.Mount request, int errno) {
        Reply reply = handle(request, ROOT);
        assertRefusal(reply, errno, 5);
        assertEquals(0x8001, reply.kind());
        assertTrue(mounter.untouched());
        assertEquals(List.of(), table.snapshot());
    }

    @Test
    void aDescriptorOnATmpfsMountIsRefused() {
        assertRefusal(handle(tmpfs("none", TARGET), ROOT, devNull()), EINVAL, 5);
        assertTrue(mounter.untouched());
    }

    @Test
    void twoDescriptorsAreRefused() {
        assertRefusal(handle(sshfs(3), ROOT, devNull(), devNull()), EINVAL, 6);
        assertTrue(mounter.untouched());
    }

    @Test
    void descriptorsCutByTheKernelAreRefused() {
        byte[] payload = MessageCodec.encodeRequest(sshfs(3));
        Reply reply = MessageCodec.decodeReply(
                Wire.handle(handler, new ReceivedMessage(payload, new int[] {devNull()}, false, true), ROOT));
        assertRefusal(reply, EINVAL, 6);
        assertTrue(mounter.untouched());
    }

    @Test
    void aTruncatedMessageGetsEmsgsizeWithTheUnreadableHeaderReply() {
        byte[] payload = MessageCodec.encodeRequest(tmpfs("none", TARGET));
        Reply reply = MessageCodec.decodeReply(
                Wire.handle(handler, new ReceivedMessage(payload, new int[0], true, false), ROOT));
        assertEquals(EMSGSIZE, reply.status());
        assertEquals(0x8000, reply.kind());
        assertEquals(0, reply.id());
        assertTrue(mounter.untouched());
    }

    @Test
    void aMalformedMessageGetsTheCodecErrno() {
        byte[] badMagic = MessageCodec.encodeRequest(tmpfs("none", TARGET));
        badMagic[0] = 'X';
        Reply reply = MessageCodec.decodeReply(Wire.handle(handler, new ReceivedMessage(badMagic, new int[0], false, false),
                ROOT));
        assertEquals(new Reply(0, 0x8000, EBADMSG, reply.message(), List.of(), -1, -1, ""), reply);

        byte[] version2 = MessageCodec.encodeRequest(new Request.Umount(77, TARGET, 0));
        version2[4] = 2;
        reply = MessageCodec.decodeReply(Wire.handle(handler, new ReceivedMessage(version2, new int[0], false, false), ROOT));
        assertEquals(new Reply(77, 0x8002, EPROTONOSUPPORT, reply.message(), List.of(), -1, -1, ""), reply);
        assertTrue(mounter.untouched());
    }

    // ---- the mounter fails -------------------------------------------------------------

    @Test
    void aMounterFailureGivesItsErrnoAndNoRecord() {
        mounter.failWith = new SyscallException("mount", "none, " + TARGET, EBUSY, "Device or resource busy");
        Reply reply = handle(tmpfs("none", TARGET), ROOT);
        assertRefusal(reply, EBUSY, 5);
        assertTrue(reply.message().contains(TARGET), reply.message());
        assertEquals(List.of(), table.snapshot());
    }

    @Test
    void anUnexpectedFailureStillGetsOneDefinedReply() {
        mounter.failWith = new IllegalStateException("helper could not start");
        Reply reply = handle(tmpfs("none", TARGET), ROOT);
        assertRefusal(reply, io.mounter.linux.Errno.EIO, 5);
        assertTrue(reply.message().contains("internal error"), reply.message());
        assertEquals(List.of(), table.snapshot());
    }

    @Test
    void aSymlinkFoundByTheMounterGivesEpermAndNoRecord() {
        mounter.failWith = new Refusal(EPERM, "target path p/volumes/v contains a symlink");
        assertRefusal(handle(tmpfs("none", TARGET), ROOT), EPERM, 5);
        assertEquals(List.of(), table.snapshot());
    }

    // ---- UMOUNT and LIST ---------------------------------------------------------------

    private void mountThree() {
        for (Request.Mount request : List.of(tmpfs("first", TARGET), tmpfs("second", TARGET),
                tmpfs("other", POD + "/q/volumes/w"))) {
            assertEquals(0, handle(request, ROOT).status());
        }
    }

    private List<String> sources() {
        return table.snapshot().stream().map(r -> r.entry().source()).toList();
    }

    @Test
    void anUnmountRemovesTheNewestRecordOfThatTarget() {
        mountThree();
        Reply reply = handle(new Request.Umount(9, TARGET + "//", MNT_DETACH), ROOT);

        assertEquals(new Reply(9, 0x8002, 0, "", List.of(), -1, -1, ""), reply);
        assertEquals(List.of(new FakeExecutor.Unmount(CONTAINED, MNT_DETACH)), mounter.unmounts);
        assertEquals(List.of("first", "other"), sources());
    }

    /** Threat: the prefixes hold mounts mounterd never made (another pod's emptyDir, the host's own). */
    @Test
    void anUnmountOfATargetMounterdMadeNothingOnIsRefused() {
        mountThree();

        Reply reply = handle(new Request.Umount(9, POD + "/r/volumes/foreign", 0), ROOT);

        assertRefusal(reply, EPERM, 9);
        assertTrue(reply.message().contains("it unmounts only its own"), reply.message());
        assertEquals(List.of(), mounter.unmounts);
        assertEquals(3, table.size());
    }

    @Test
    void aFailedUnmountKeepsTheRecord() {
        mountThree();
        List<MountRecord> before = table.snapshot();
        mounter.failWith = new SyscallException("umount2", TARGET, EINVAL, "Invalid argument");
        assertRefusal(handle(new Request.Umount(9, TARGET, 0), ROOT), EINVAL, 9);
        assertEquals(before, table.snapshot());
    }

    @Test
    void anUnmountWithADescriptorIsRefused() {
        assertRefusal(handle(new Request.Umount(9, TARGET, 0), ROOT, devNull()), EINVAL, 9);
        assertTrue(mounter.untouched());
    }

    @Test
    void listReturnsTheTable() {
        mountThree();
        Reply reply = handle(new Request.List(11, 0), ROOT);
        assertEquals(0, reply.status());
        assertEquals(0x8003, reply.kind());
        List<MountEntry> entries = table.snapshot().stream().map(MountRecord::entry).toList();
        assertEquals(entries, reply.entries());
        assertEquals(3, reply.entries().size());
        assertEquals(-1, reply.nextCursor());
        assertEquals(entries.subList(2, 3), handle(new Request.List(12, 2), ROOT).entries());
    }

    @Test
    void listMasksTheSourcesPassword() {
        table.add(new MountRecord(new MountEntry("//bob:pa@ss:word@srv/share", TARGET, "fuse.sshfs", 7, 8, 0), null));

        Reply reply = handle(new Request.List(11, 0), ROOT);

        assertEquals("//bob:<masked>@srv/share", reply.entries().get(0).source());
        assertEquals("//bob:pa@ss:word@srv/share", table.snapshot().get(0).entry().source(), "the table keeps it");
    }

    @Test
    void aListWithADescriptorIsRefused() {
        assertRefusal(handle(new Request.List(11, 0), ROOT, devNull()), EINVAL, 11);
    }

    // ---- RUN_MOUNT -----------------------------------------------------------------------

    private static Request.RunMount runMount(String options, int timeoutMillis) {
        return new Request.RunMount(21, "u@h:/d", TARGET + "/", "fuse.sshfs", options, timeoutMillis);
    }

    @Test
    void runMountPassesMountsArgvWithOptionsAndTheAuthorizedTarget() {
        Reply reply = handle(runMount("ro,allow_other", 5000), ROOT);

        assertEquals(0, reply.status(), reply.message());
        assertEquals(List.of(new FakeHelper.Run(List.of("mount", "-t", "fuse.sshfs", "-o", "ro,allow_other", "--",
                "u@h:/d", TARGET), Duration.ofMillis(5000))), helper.runs);
    }

    @ParameterizedTest
    @MethodSource("absentOptions")
    void runMountWithoutOptionsPassesNoDashO(String options) {
        handle(new Request.RunMount(21, "gluster-1:/vol", TARGET, "glusterfs", options, 0), ROOT);

        assertEquals(1, helper.runs.size());
        assertEquals(List.of("mount", "-t", "glusterfs", "--", "gluster-1:/vol", TARGET), helper.runs.get(0).argv());
    }

    static Stream<String> absentOptions() {
        return Stream.of(null, "");
    }

    static Stream<Arguments> helperTimeouts() {
        return Stream.of(
                arguments(0, Duration.ofSeconds(60)),
                arguments(1, Duration.ofMillis(1)),
                arguments(300, Duration.ofMillis(300)),
                arguments(600_000, Duration.ofMinutes(10)),
                arguments(600_001, Duration.ofMinutes(10)),
                arguments(Integer.MAX_VALUE, Duration.ofMinutes(10)));
    }

    @ParameterizedTest(name = "{0} ms -> {1}")
    @MethodSource("helperTimeouts")
    void runMountPassesTheRequestsTimeoutWithDefaultAndCap(int requested, Duration expected) {
        assertEquals(0, handle(runMount(null, requested), ROOT).status());
        assertEquals(expected, helper.runs.get(0).timeout());
    }

    @Test
    void aHelperThatFailsGivesStatus0WithItsExitStatusAndOutput() {
        helper.result = new MountHelper.Result(32, false, "mount: /t: wrong fs type.\n");

        Reply reply = handle(runMount(null, 0), ROOT);

        assertEquals(new Reply(21, 0x8004, 0, "mount helper exited with 32", List.of(), -1, 32,
                "mount: /t: wrong fs type.\n"), reply);
        assertTrue(mounter.untouched(), "nothing to clean up after a helper that ended");
    }

    @Test
    void aHelperThatSucceedsGivesExitStatus0AndItsOutput() {
        helper.result = new MountHelper.Result(0, false, "mounted\n");
        Reply reply = handle(runMount(null, 0), ROOT);
        assertEquals(new Reply(21, 0x8004, 0, "", List.of(), -1, 0, "mounted\n"), reply);
    }

    @Test
    void theHelpersOwnMountIsRecordedAndStaysWhenItSucceeds() {
        helper.whileRunning = () -> assertEquals(0, handle(tmpfs("helper", TARGET), ROOT).status());
        assertEquals(0, handle(runMount(null, 0), ROOT).status());
        assertEquals(List.of("helper"), sources());
        assertEquals(List.of(), mounter.unmounts);
    }

    @Test
    void aTimedOutHelperGivesEtimedoutAndItsMountsOnTheTargetSinceItStartedAreDetachedAndForgotten() {
        clock.set(NOW + 999);
        assertEquals(0, handle(tmpfs("before", TARGET), ROOT).status());
        clock.set(NOW + 1000);
        helper.whileRunning = () -> {
            // what the shim forwards from the helper's mount(), served by another worker
            assertEquals(0, handle(tmpfs("during-1", TARGET), ROOT).status());
            clock.set(NOW + 1500);
            assertEquals(0, handle(tmpfs("elsewhere", POD + "/q/volumes/w"), ROOT).status());
            assertEquals(0, handle(tmpfs("during-2", TARGET + "/"), ROOT).status());
            clock.set(NOW + 61_000);
        };
        helper.result = new MountHelper.Result(-1, true, "partial output");

        Reply reply = handle(runMount(null, 60_000), ROOT);

        assertEquals(ETIMEDOUT, reply.status(), reply.message());
        assertEquals(0x8004, reply.kind());
        assertEquals(21, reply.id());
        assertEquals(-1, reply.exitStatus(), "no exit status for a killed helper");
        assertEquals("partial output", reply.output());
        assertTrue(reply.message().contains("2 mount(s)"), reply.message());
        assertEquals(List.of(new FakeExecutor.Unmount(CONTAINED, MNT_DETACH),
                new FakeExecutor.Unmount(CONTAINED, MNT_DETACH)), mounter.unmounts);
        assertEquals(List.of("before", "elsewhere"), sources());
    }

    @Test
    void aTimedOutHelperThatMountedNothingDetachesNothing() {
        assertEquals(0, handle(tmpfs("before", TARGET), ROOT).status());
        clock.set(NOW + 1);
        helper.result = new MountHelper.Result(-1, true, "");

        Reply reply = handle(runMount(null, 0), ROOT);

        assertEquals(ETIMEDOUT, reply.status());
        assertEquals(List.of(), mounter.unmounts);
        assertEquals(List.of("before"), sources());
    }

    @Test
    void aFailedDetachAfterATimeoutStillForgetsTheRecordAndAnswersEtimedout() {
        helper.whileRunning = () -> {
            assertEquals(0, handle(tmpfs("during", TARGET), ROOT).status());
            mounter.failWith = new SyscallException("umount2", TARGET, EINVAL, "Invalid argument");
        };
        helper.result = new MountHelper.Result(-1, true, "");

        assertEquals(ETIMEDOUT, handle(runMount(null, 0), ROOT).status());
        assertEquals(List.of(), table.snapshot());
    }

    @Test
    void tooManyHelpersGivesEagain() {
        helper.failWith = new Refusal(EAGAIN, "too many mount helpers running; try again");
        Reply reply = handle(runMount(null, 0), ROOT);
        assertRefusal(reply, EAGAIN, 21);
        assertEquals(0x8004, reply.kind());
        assertEquals(-1, reply.exitStatus());
    }

    static Stream<Arguments> refusedHelperMounts() {
        return Stream.of(
                arguments("fstype not allowed", new Request.RunMount(21, "/dev/sda1", TARGET, "ext4", null, 0), EPERM),
                arguments("target outside the prefixes", new Request.RunMount(21, "u@h:/d", "/etc", "sshfs", null, 0),
                        EPERM),
                arguments("source like an option", new Request.RunMount(21, "-oremount", TARGET, "sshfs", null, 0),
                        EINVAL),
                arguments("options like an option", new Request.RunMount(21, "u@h:/d", TARGET, "sshfs", "--bind", 0),
                        EINVAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedHelperMounts")
    void aRefusedHelperMountRunsNothing(String what, Request.RunMount request, int errno) {
        assertRefusal(handle(request, ROOT), errno, 21);
        assertEquals(List.of(), helper.runs);
    }

    @Test
    void aRunMountWithADescriptorIsRefused() {
        assertRefusal(handle(runMount(null, 0), ROOT, devNull()), EINVAL, 21);
        assertEquals(List.of(), helper.runs);
    }

    // ---- STATUS --------------------------------------------------------------------------

    @Test
    void statusAnswersOkWithTheNumberOfMountsAndTheUptime() {
        Reply empty = handle(new Request.Status(30), ROOT);
        assertEquals(0, empty.status());
        assertEquals(0x8005, empty.kind());
        assertEquals(30, empty.id());
        assertTrue(empty.message().startsWith("ok: 0 mounts"), empty.message());

        mountThree();
        clock.set(NOW + 7_500);
        Reply three = handle(new Request.Status(31), ROOT);
        assertEquals(0, three.status());
        assertTrue(three.message().startsWith("ok: 3 mounts, up 7 s"), three.message());
    }

    @Test
    void aStatusWithADescriptorIsRefused() {
        assertRefusal(handle(new Request.Status(30), ROOT, devNull()), EINVAL, 30);
    }

    // ---- LIST and FUSE daemons -------------------------------------------------------------

    private void record(String source, String fstype, DeviceNumber device) {
        table.add(new MountRecord(new MountEntry(source, TARGET, fstype, 7, NOW, 0), device));
    }

    @Test
    void listFillsInTheDaemonOfEachFuseMountByItsConnection() {
        record("sshfs", "fuse.sshfs", new DeviceNumber(0, 39));
        record("gone", "fuse.glusterfs", new DeviceNumber(0, 40));
        record("tmpfs-same-minor", "tmpfs", new DeviceNumber(0, 39));
        record("unknown-device", "fuse", null);
        record("plain-fuse", "fuse", new DeviceNumber(0, 41));
        daemons.found = Map.of(39, 1234, 41, 5678, 99, 1);

        Reply reply = handle(new Request.List(11, 0), ROOT);

        assertEquals(0, reply.status(), reply.message());
        assertEquals(List.of(1234, 0, 0, 0, 5678), reply.entries().stream().map(MountEntry::daemonPid).toList());
        assertEquals(List.of("sshfs", "gone", "tmpfs-same-minor", "unknown-device", "plain-fuse"),
                reply.entries().stream().map(MountEntry::source).toList());
        assertEquals(1, daemons.calls, "one scan per LIST");
        assertEquals(0, table.snapshot().get(0).entry().daemonPid(), "the table keeps no pid, LIST looks it up");
    }

    @Test
    void listDoesNotScanForDaemonsWithoutAFuseMount() {
        record("tmpfs", "tmpfs", new DeviceNumber(0, 39));
        record("fuse-without-device", "fuse.sshfs", null);
        daemons.found = Map.of(39, 1234);

        Reply reply = handle(new Request.List(11, 0), ROOT);

        assertEquals(List.of(0, 0), reply.entries().stream().map(MountEntry::daemonPid).toList());
        assertEquals(0, daemons.calls);
        handle(new Request.List(12, 0), ROOT);
        assertEquals(0, daemons.calls);
    }

    @Test
    void aFuseMountThroughTheHandlerIsRecordedWithTheMountersDevice() {
        int fuse = openDevFuse();
        mounter.device = new DeviceNumber(0, 77);
        daemons.found = Map.of(77, 4444);

        assertEquals(0, handle(sshfs(3), ROOT, fuse).status());

        assertEquals(77, table.snapshot().get(0).fuseConnection());
        assertEquals(4444, handle(new Request.List(11, 0), ROOT).entries().get(0).daemonPid());
    }

    // ---- peers -------------------------------------------------------------------------

    static Stream<Request> everyOperation() {
        return Stream.of(tmpfs("none", TARGET), new Request.Umount(5, TARGET, 0), new Request.List(5, 0),
                new Request.RunMount(5, "u@h:/d", TARGET, "fuse.sshfs", null, 0), new Request.Status(5));
    }

    @ParameterizedTest
    @MethodSource("everyOperation")
    void aPeerThatIsNotRootIsRefusedForEveryOperation(Request request) {
        table.add(new MountRecord(new MountEntry("none", TARGET, "tmpfs", 1, NOW, 0), null));
        List<MountRecord> before = table.snapshot();

        Reply reply = handle(request, USER);

        assertRefusal(reply, EPERM, 5);
        assertEquals(List.of(), reply.entries(), "no records for a refused peer");
        assertTrue(mounter.untouched());
        assertEquals(List.of(), helper.runs);
        assertEquals(before, table.snapshot());
    }

    // ---- descriptors -------------------------------------------------------------------

    @Test
    void theHandlerLeavesDescriptorsToItsCallerAndCloseDescriptorsClosesThem() {
        int fd = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        ReceivedMessage message = new ReceivedMessage(MessageCodec.encodeRequest(sshfs(3)), new int[] {fd},
                false, false);
        try {
            Wire.handle(handler, message, ROOT);
            assertDoesNotThrow(() -> Syscalls.fstat(fd), "still open after handle");
        } finally {
            message.closeDescriptors();
        }
        assertEquals(EBADF, assertThrows(SyscallException.class, () -> Syscalls.fstat(fd)).errno());
    }

    @Test
    void handlingAndClosingLeaksNoDescriptor() throws IOException {
        long before = openDescriptors();
        for (int i = 0; i < 100; i++) {
            int[] fds = {Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC)};
            Request request = switch (i % 3) {
                case 0 -> sshfs(3);
                case 1 -> tmpfs("none", TARGET);
                default -> new Request.List(1, 0);
            };
            ReceivedMessage message = new ReceivedMessage(MessageCodec.encodeRequest(request), fds, false, false);
            try {
                Wire.handle(handler, message, i % 2 == 0 ? ROOT : USER);
            } finally {
                message.closeDescriptors();
            }
        }
        assertEquals(before, openDescriptors());
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}

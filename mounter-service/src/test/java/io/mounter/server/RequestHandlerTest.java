package io.mounter.server;

import static io.mounter.linux.Errno.EBADF;
import static io.mounter.linux.Errno.EBADMSG;
import static io.mounter.linux.Errno.EBUSY;
import static io.mounter.linux.Errno.EINVAL;
import static io.mounter.linux.Errno.EMSGSIZE;
import static io.mounter.linux.Errno.EPERM;
import static io.mounter.linux.Errno.EPROTONOSUPPORT;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
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

    private final FakeMounter mounter = new FakeMounter();
    private final MountTable table = new MountTable();
    private final RequestHandler handler = new RequestHandler(policy(), mounter, table,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
    private final List<Integer> opened = new ArrayList<>();

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
        byte[] reply = handler.handle(new ReceivedMessage(MessageCodec.encodeRequest(request), fds, false, false), peer);
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

        assertEquals(new Reply(5, 0x8001, 0, "", List.of(), -1), reply);
        assertEquals(List.of(new AuthorizedMount("none", CONTAINED, "tmpfs", MS_NOEXEC, "size=1m,mode=0755")),
                mounter.mounts);
        assertEquals(List.of(new MountEntry("none", TARGET, "tmpfs", ROOT.pid(), NOW)), table.snapshot());
    }

    @Test
    void aFuseMountWithDevFuseGetsTheLocalDescriptorNumber() {
        int fuse;
        try {
            fuse = Syscalls.open("/dev/fuse", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        } catch (SyscallException e) {
            Assumptions.abort("cannot open /dev/fuse: " + e.getMessage());
            return;
        }
        opened.add(fuse);

        Reply reply = handle(sshfs(3), ROOT, fuse);

        assertEquals(0, reply.status(), reply.message());
        assertEquals(1, mounter.mounts.size());
        AuthorizedMount mount = mounter.mounts.get(0);
        assertEquals("fd=" + fuse + ",rootmode=40000,user_id=0,group_id=0", mount.data());
        assertEquals(MS_NOSUID | MS_NODEV, mount.flags());
        assertEquals(List.of(new MountEntry("u@h:/d", TARGET, "fuse.sshfs", ROOT.pid(), NOW)), table.snapshot());
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
                handler.handle(new ReceivedMessage(payload, new int[] {devNull()}, false, true), ROOT));
        assertRefusal(reply, EINVAL, 6);
        assertTrue(mounter.untouched());
    }

    @Test
    void aTruncatedMessageGetsEmsgsizeWithTheUnreadableHeaderReply() {
        byte[] payload = MessageCodec.encodeRequest(tmpfs("none", TARGET));
        Reply reply = MessageCodec.decodeReply(
                handler.handle(new ReceivedMessage(payload, new int[0], true, false), ROOT));
        assertEquals(EMSGSIZE, reply.status());
        assertEquals(0x8000, reply.kind());
        assertEquals(0, reply.id());
        assertTrue(mounter.untouched());
    }

    @Test
    void aMalformedMessageGetsTheCodecErrno() {
        byte[] badMagic = MessageCodec.encodeRequest(tmpfs("none", TARGET));
        badMagic[0] = 'X';
        Reply reply = MessageCodec.decodeReply(handler.handle(new ReceivedMessage(badMagic, new int[0], false, false),
                ROOT));
        assertEquals(new Reply(0, 0x8000, EBADMSG, reply.message(), List.of(), -1), reply);

        byte[] version2 = MessageCodec.encodeRequest(new Request.Umount(77, TARGET, 0));
        version2[4] = 2;
        reply = MessageCodec.decodeReply(handler.handle(new ReceivedMessage(version2, new int[0], false, false), ROOT));
        assertEquals(new Reply(77, 0x8002, EPROTONOSUPPORT, reply.message(), List.of(), -1), reply);
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

    @Test
    void anUnmountRemovesTheNewestRecordOfThatTarget() {
        mountThree();
        Reply reply = handle(new Request.Umount(9, TARGET + "//", MNT_DETACH), ROOT);

        assertEquals(new Reply(9, 0x8002, 0, "", List.of(), -1), reply);
        assertEquals(List.of(new FakeMounter.Unmount(CONTAINED, MNT_DETACH)), mounter.unmounts);
        assertEquals(List.of("first", "other"), table.snapshot().stream().map(MountEntry::source).toList());
    }

    @Test
    void aFailedUnmountKeepsTheRecord() {
        mountThree();
        List<MountEntry> before = table.snapshot();
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
        assertEquals(table.snapshot(), reply.entries());
        assertEquals(3, reply.entries().size());
        assertEquals(-1, reply.nextCursor());
        assertEquals(table.snapshot().subList(2, 3), handle(new Request.List(12, 2), ROOT).entries());
    }

    @Test
    void aListWithADescriptorIsRefused() {
        assertRefusal(handle(new Request.List(11, 0), ROOT, devNull()), EINVAL, 11);
    }

    // ---- peers -------------------------------------------------------------------------

    static Stream<Request> everyOperation() {
        return Stream.of(tmpfs("none", TARGET), new Request.Umount(5, TARGET, 0), new Request.List(5, 0));
    }

    @ParameterizedTest
    @MethodSource("everyOperation")
    void aPeerThatIsNotRootIsRefusedForEveryOperation(Request request) {
        table.add(new MountEntry("none", TARGET, "tmpfs", 1, NOW));
        List<MountEntry> before = table.snapshot();

        Reply reply = handle(request, USER);

        assertRefusal(reply, EPERM, 5);
        assertEquals(List.of(), reply.entries(), "no records for a refused peer");
        assertTrue(mounter.untouched());
        assertEquals(before, table.snapshot());
    }

    // ---- descriptors -------------------------------------------------------------------

    @Test
    void theHandlerLeavesDescriptorsToItsCallerAndCloseDescriptorsClosesThem() {
        int fd = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        ReceivedMessage message = new ReceivedMessage(MessageCodec.encodeRequest(sshfs(3)), new int[] {fd},
                false, false);
        try {
            handler.handle(message, ROOT);
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
                handler.handle(message, i % 2 == 0 ? ROOT : USER);
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

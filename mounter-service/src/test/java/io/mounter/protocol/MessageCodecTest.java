package io.mounter.protocol;

import static io.mounter.linux.Errno.EBADMSG;
import static io.mounter.linux.Errno.EINVAL;
import static io.mounter.linux.Errno.EPERM;
import static io.mounter.linux.Errno.EPROTONOSUPPORT;
import static io.mounter.protocol.RawMessage.CURSOR;
import static io.mounter.protocol.RawMessage.DATA;
import static io.mounter.protocol.RawMessage.FD;
import static io.mounter.protocol.RawMessage.FSTYPE;
import static io.mounter.protocol.RawMessage.DAEMON_PID;
import static io.mounter.protocol.RawMessage.EXIT_STATUS;
import static io.mounter.protocol.RawMessage.MOUNT_FLAGS;
import static io.mounter.protocol.RawMessage.OUTPUT;
import static io.mounter.protocol.RawMessage.SOURCE;
import static io.mounter.protocol.RawMessage.TARGET;
import static io.mounter.protocol.RawMessage.TIMEOUT_MS;
import static io.mounter.protocol.RawMessage.UMOUNT_FLAGS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessageCodecTest {
    private static final int MOUNT = 1;
    private static final int UMOUNT = 2;
    private static final int LIST = 3;
    private static final int RUN_MOUNT = 4;
    private static final int STATUS = 5;
    private static final int ID = 0x0A0B0C0D;

    // ---- round trips -------------------------------------------------------------------

    static Stream<Request> requests() {
        return Stream.of(
                new Request.Mount(7, "u@h:/d", "/var/lib/kubelet/pods/p/volumes/v", "fuse.sshfs", 6,
                        "fd=3,rootmode=40000,user_id=0,group_id=0", 3),
                new Request.Mount(8, null, "/t", "tmpfs", 0, null, -1),
                new Request.Mount(9, "", "/t", "tmpfs", 0x8000_0000_0000_0001L, "", -1),
                new Request.Mount(-1, "ü", "/var/lib/kubelet/pods/ü/✓", "fuse", 0, "fd=0", 0),
                new Request.Umount(10, "/var/lib/kubelet/pods/p/volumes/v", 0x2),
                new Request.Umount(11, "/t", 0),
                new Request.List(12, 0),
                new Request.List(13, 123_456),
                new Request.RunMount(14, "u@h:/d", "/var/lib/kubelet/pods/p/volumes/v", "sshfs",
                        "ro,allow_other", 30_000),
                new Request.RunMount(15, "ü:/✓", "/t", "fuse.sshfs", null, 0),
                new Request.RunMount(16, "s", "/t", "glusterfs", "", Integer.MAX_VALUE),
                new Request.Status(17),
                new Request.Status(-1));
    }

    @ParameterizedTest
    @MethodSource("requests")
    void everyRequestKindSurvivesARoundTrip(Request request) {
        assertEquals(request, MessageCodec.decodeRequest(MessageCodec.encodeRequest(request)));
    }

    /** The same bytes preload-shim/test/test_proto.c expects of the C encoder. */
    @Test
    void aKnownMountRequestHasExactlyTheseBytes() {
        byte[] expected = bytes(
                'M', 'N', 'T', 'R', 1, 0, 1, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0,
                1, 0, 6, 0, 'u', '@', 'h', ':', '/', 'd',
                2, 0, 2, 0, '/', 't',
                3, 0, 10, 0, 'f', 'u', 's', 'e', '.', 's', 's', 'h', 'f', 's',
                4, 0, 8, 0, 6, 0, 0, 0, 0, 0, 0, 0,
                5, 0, 19, 0, 'f', 'd', '=', '3', ',', 'r', 'o', 'o', 't', 'm', 'o', 'd', 'e', '=',
                '4', '0', '0', '0', '0',
                6, 0, 4, 0, 3, 0, 0, 0);
        Request.Mount request = new Request.Mount(0x01020304, "u@h:/d", "/t", "fuse.sshfs", 6,
                "fd=3,rootmode=40000", 3);

        assertArrayEquals(expected, MessageCodec.encodeRequest(request));
        assertEquals(request, MessageCodec.decodeRequest(expected));
    }

    @Test
    void aKnownUmountRequestHasExactlyTheseBytes() {
        byte[] expected = bytes(
                'M', 'N', 'T', 'R', 1, 0, 2, 0, 9, 0, 0, 0, 0, 0, 0, 0,
                2, 0, 3, 0, '/', 'm', 'p',
                7, 0, 4, 0, 2, 0, 0, 0);
        assertArrayEquals(expected, MessageCodec.encodeRequest(new Request.Umount(9, "/mp", 2)));
    }

    @Test
    void aKnownRunMountRequestHasExactlyTheseBytes() {
        byte[] expected = bytes(
                'M', 'N', 'T', 'R', 1, 0, 4, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0,
                1, 0, 6, 0, 'u', '@', 'h', ':', '/', 'd',
                2, 0, 2, 0, '/', 't',
                3, 0, 5, 0, 's', 's', 'h', 'f', 's',
                5, 0, 2, 0, 'r', 'o',
                16, 0, 4, 0, 0x88, 0x13, 0, 0);
        Request.RunMount request = new Request.RunMount(0x01020304, "u@h:/d", "/t", "sshfs", "ro", 5000);

        assertArrayEquals(expected, MessageCodec.encodeRequest(request));
        assertEquals(request, MessageCodec.decodeRequest(expected));
    }

    @Test
    void aStatusRequestIsTheBareHeader() {
        byte[] expected = bytes('M', 'N', 'T', 'R', 1, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0);
        assertArrayEquals(expected, MessageCodec.encodeRequest(new Request.Status(9)));
        assertEquals(new Request.Status(9), MessageCodec.decodeRequest(expected));
    }

    @Test
    void aRunMountWithoutOptionsOrTimeoutDecodesToNullOptionsAndTimeout0() {
        byte[] message = RawMessage.request(RUN_MOUNT, ID).field(SOURCE, "s").field(TARGET, "/t")
                .field(FSTYPE, "sshfs").bytes();
        assertEquals(new Request.RunMount(ID, "s", "/t", "sshfs", null, 0), MessageCodec.decodeRequest(message));
    }

    @Test
    void aTimeoutBeyondIntRangeIsClampedNotNegative() {
        byte[] message = RawMessage.request(RUN_MOUNT, ID).field(SOURCE, "s").field(TARGET, "/t")
                .field(FSTYPE, "sshfs").u32(TIMEOUT_MS, 0xFFFF_FFFF).bytes();
        assertEquals(Integer.MAX_VALUE, ((Request.RunMount) MessageCodec.decodeRequest(message)).timeoutMillis());
    }

    // ---- malformed requests ------------------------------------------------------------

    /** A valid MOUNT request to which each malformed case below makes one change. */
    private static RawMessage mountBase() {
        return RawMessage.request(MOUNT, ID).field(TARGET, "/t").field(FSTYPE, "fuse");
    }

    /** A valid RUN_MOUNT request, the base of the RUN_MOUNT cases. */
    private static RawMessage runMountBase() {
        return RawMessage.request(RUN_MOUNT, ID).field(SOURCE, "s").field(TARGET, "/t").field(FSTYPE, "sshfs");
    }

    @Test
    void theBaseOfTheMalformedCasesIsItselfValid() {
        assertEquals(new Request.Mount(ID, null, "/t", "fuse", 0, null, -1),
                MessageCodec.decodeRequest(mountBase().bytes()));
        assertEquals(new Request.RunMount(ID, "s", "/t", "sshfs", null, 0),
                MessageCodec.decodeRequest(runMountBase().bytes()));
    }

    static Stream<Arguments> malformedRequests() {
        byte[] valid = mountBase().bytes();
        byte[] badMagic = valid.clone();
        badMagic[3] = 'X';
        return Stream.of(
                arguments("empty message", new byte[0], EBADMSG, 0),
                arguments("shorter than the header", Arrays.copyOf(valid, 15), EBADMSG, 0),
                arguments("bad magic", badMagic, EBADMSG, 0),
                arguments("version 2", RawMessage.header(2, MOUNT, ID, 0).field(TARGET, "/t")
                        .field(FSTYPE, "fuse").bytes(), EPROTONOSUPPORT, ID),
                arguments("version 0", RawMessage.header(0, MOUNT, ID, 0).bytes(), EPROTONOSUPPORT, ID),
                arguments("unknown operation 6", RawMessage.request(6, ID).field(TARGET, "/t").bytes(), EINVAL, ID),
                arguments("operation 0", RawMessage.request(0, ID).bytes(), EINVAL, ID),
                arguments("a reply kind sent as a request", RawMessage.request(0x8001, ID).field(TARGET, "/t")
                        .field(FSTYPE, "fuse").bytes(), EINVAL, ID),
                arguments("truncated field header (3 bytes)", mountBase().raw(5, 0, 1).bytes(), EBADMSG, ID),
                arguments("truncated field header (1 byte)", mountBase().raw(5).bytes(), EBADMSG, ID),
                arguments("field overrunning the message", mountBase().raw(DATA, 0, 10, 0, 'a', 'b').bytes(),
                        EBADMSG, ID),
                arguments("TARGET over 4095 bytes", RawMessage.request(MOUNT, ID).field(TARGET, "/" + "a".repeat(4095))
                        .field(FSTYPE, "fuse").bytes(), EBADMSG, ID),
                arguments("FSTYPE over 255 bytes", RawMessage.request(MOUNT, ID).field(TARGET, "/t")
                        .field(FSTYPE, "f".repeat(256)).bytes(), EBADMSG, ID),
                arguments("DATA over 4096 bytes", mountBase().field(DATA, "o".repeat(4097)).bytes(), EBADMSG, ID),
                arguments("MOUNT_FLAGS over its 8 bytes", mountBase().field(MOUNT_FLAGS, new byte[9]).bytes(),
                        EBADMSG, ID),
                arguments("duplicate TARGET", mountBase().field(TARGET, "/u").bytes(), EBADMSG, ID),
                arguments("duplicate FD", mountBase().u32(FD, 3).u32(FD, 3).bytes(), EBADMSG, ID),
                arguments("unknown tag 15", mountBase().field(15, "x").bytes(), EBADMSG, ID),
                arguments("unknown tag 19", mountBase().field(19, "x").bytes(), EBADMSG, ID),
                arguments("UMOUNT_FLAGS in a MOUNT", mountBase().u32(UMOUNT_FLAGS, 2).bytes(), EBADMSG, ID),
                arguments("CURSOR in a MOUNT", mountBase().u32(CURSOR, 0).bytes(), EBADMSG, ID),
                arguments("FD in a UMOUNT", RawMessage.request(UMOUNT, ID).field(TARGET, "/t").u32(FD, 3).bytes(),
                        EBADMSG, ID),
                arguments("TARGET in a LIST", RawMessage.request(LIST, ID).field(TARGET, "/t").bytes(), EBADMSG, ID),
                arguments("unknown tag 0", mountBase().field(0, "").bytes(), EBADMSG, ID),
                arguments("unknown tag 0xffff", mountBase().field(0xffff, "x").bytes(), EBADMSG, ID),
                arguments("NUL inside TARGET", RawMessage.request(MOUNT, ID).field(TARGET, "/t\0/etc")
                        .field(FSTYPE, "fuse").bytes(), EBADMSG, ID),
                arguments("NUL at the end of DATA", mountBase().field(DATA, "ro\0").bytes(), EBADMSG, ID),
                arguments("invalid UTF-8 in SOURCE", mountBase().field(SOURCE, bytes(0xC3, 0x28)).bytes(),
                        EBADMSG, ID),
                arguments("overlong UTF-8 '/' in TARGET", RawMessage.request(MOUNT, ID)
                        .field(TARGET, bytes('/', 'a', 0xC0, 0xAF, 'b')).field(FSTYPE, "fuse").bytes(), EBADMSG, ID),
                arguments("MOUNT_FLAGS of 4 bytes", mountBase().u32(MOUNT_FLAGS, 6).bytes(), EBADMSG, ID),
                arguments("FD of 8 bytes", mountBase().u64(FD, 3).bytes(), EBADMSG, ID),
                arguments("FD beyond a descriptor number", mountBase().u32(FD, 0x8000_0000).bytes(), EBADMSG, ID),
                arguments("UMOUNT_FLAGS of 8 bytes", RawMessage.request(UMOUNT, ID).field(TARGET, "/t")
                        .u64(UMOUNT_FLAGS, 2).bytes(), EBADMSG, ID),
                arguments("CURSOR of 2 bytes", RawMessage.request(LIST, ID).field(CURSOR, new byte[2]).bytes(),
                        EBADMSG, ID),
                arguments("MOUNT without TARGET", RawMessage.request(MOUNT, ID).field(FSTYPE, "fuse").bytes(),
                        EINVAL, ID),
                arguments("MOUNT without FSTYPE", RawMessage.request(MOUNT, ID).field(TARGET, "/t").bytes(),
                        EINVAL, ID),
                arguments("UMOUNT without TARGET", RawMessage.request(UMOUNT, ID).u32(UMOUNT_FLAGS, 0).bytes(),
                        EINVAL, ID),
                arguments("MOUNT_FLAGS in a RUN_MOUNT", runMountBase().u64(MOUNT_FLAGS, 0).bytes(), EBADMSG, ID),
                arguments("FD in a RUN_MOUNT", runMountBase().u32(FD, 3).bytes(), EBADMSG, ID),
                arguments("UMOUNT_FLAGS in a RUN_MOUNT", runMountBase().u32(UMOUNT_FLAGS, 2).bytes(), EBADMSG, ID),
                arguments("CURSOR in a RUN_MOUNT", runMountBase().u32(CURSOR, 0).bytes(), EBADMSG, ID),
                arguments("EXIT_STATUS in a RUN_MOUNT", runMountBase().u32(EXIT_STATUS, 0).bytes(), EBADMSG, ID),
                arguments("OUTPUT in a RUN_MOUNT", runMountBase().field(OUTPUT, "x").bytes(), EBADMSG, ID),
                arguments("TIMEOUT_MS of 8 bytes", runMountBase().u64(TIMEOUT_MS, 1000).bytes(), EBADMSG, ID),
                arguments("TIMEOUT_MS in a MOUNT", mountBase().u32(TIMEOUT_MS, 1000).bytes(), EBADMSG, ID),
                arguments("DAEMON_PID in a MOUNT", mountBase().u32(DAEMON_PID, 1).bytes(), EBADMSG, ID),
                arguments("TARGET in a STATUS", RawMessage.request(STATUS, ID).field(TARGET, "/t").bytes(), EBADMSG,
                        ID),
                arguments("CURSOR in a STATUS", RawMessage.request(STATUS, ID).u32(CURSOR, 0).bytes(), EBADMSG, ID),
                arguments("TIMEOUT_MS in a STATUS", RawMessage.request(STATUS, ID).u32(TIMEOUT_MS, 1).bytes(),
                        EBADMSG, ID),
                arguments("RUN_MOUNT without SOURCE", RawMessage.request(RUN_MOUNT, ID).field(TARGET, "/t")
                        .field(FSTYPE, "sshfs").bytes(), EINVAL, ID),
                arguments("RUN_MOUNT without TARGET", RawMessage.request(RUN_MOUNT, ID).field(SOURCE, "s")
                        .field(FSTYPE, "sshfs").bytes(), EINVAL, ID),
                arguments("RUN_MOUNT without FSTYPE", RawMessage.request(RUN_MOUNT, ID).field(SOURCE, "s")
                        .field(TARGET, "/t").bytes(), EINVAL, ID),
                arguments("nonzero status in a request", RawMessage.header(1, MOUNT, ID, 5).field(TARGET, "/t")
                        .field(FSTYPE, "fuse").bytes(), EBADMSG, ID));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRequests")
    void aMalformedRequestGivesTheDocumentedErrnoAndTheIdWhenTheHeaderWasReadable(
            String what, byte[] message, int errno, int id) {
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> MessageCodec.decodeRequest(message));
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(id, e.id(), "id");
        assertFalse(e.getMessage().isBlank(), "a reason");
    }

    @Test
    void theKindIsCarriedWhenTheHeaderWasReadable() {
        byte[] unknownOp = RawMessage.request(6, ID).bytes();
        assertEquals(6, assertThrows(MalformedMessageException.class,
                () -> MessageCodec.decodeRequest(unknownOp)).kind());
        byte[] badMagic = mountBase().bytes();
        badMagic[0] = 0;
        assertEquals(0, assertThrows(MalformedMessageException.class,
                () -> MessageCodec.decodeRequest(badMagic)).kind());
    }

    // ---- replies -----------------------------------------------------------------------

    @Test
    void aReplySurvivesARoundTripWithTheReplyBitSet() {
        Reply reply = Reply.of(7, MOUNT, EPERM, "fstype ext4 is not allowed");
        Reply decoded = MessageCodec.decodeReply(MessageCodec.encodeReply(reply));
        assertEquals(new Reply(7, 0x8001, EPERM, "fstype ext4 is not allowed", List.of(), -1, -1, ""), decoded);
        assertFalse(decoded.succeeded());
    }

    @Test
    void aReplyToAnUnreadableHeaderHasKind0x8000AndId0() {
        byte[] bytes = MessageCodec.encodeReply(Reply.of(0, 0, EBADMSG, "bad magic"));
        assertArrayEquals(bytes('M', 'N', 'T', 'R', 1, 0, 0x00, 0x80, 0, 0, 0, 0, EBADMSG, 0, 0, 0),
                Arrays.copyOf(bytes, 16));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "é", "€", "😀"})
    void aLongMessageIsCutToTheFieldLimitOnACharacterBoundary(String unit) {
        String message = "target /" + unit.repeat(3000) + " is not under an allowed prefix";
        Reply decoded = MessageCodec.decodeReply(MessageCodec.encodeReply(Reply.of(1, MOUNT, EPERM, message)));
        int size = decoded.message().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(size <= Limits.MESSAGE_MAX, size + " bytes");
        assertTrue(size > Limits.MESSAGE_MAX / 2, "kept most of the room: " + size + " bytes");
        assertTrue(message.startsWith(decoded.message()), "a prefix of the original, no replacement characters");
    }

    @Test
    void aHelperReplyCarriesExitStatusAndOutput() {
        Reply reply = Reply.ofHelper(21, 32, "mount: /t: bad option.\n");
        Reply decoded = MessageCodec.decodeReply(MessageCodec.encodeReply(reply));

        assertEquals(new Reply(21, 0x8004, 0, "mount helper exited with 32", List.of(), -1, 32,
                "mount: /t: bad option.\n"), decoded);
    }

    @Test
    void aHelperThatSucceededHasExitStatus0PresentAndAnEmptyMessage() {
        byte[] bytes = MessageCodec.encodeReply(Reply.ofHelper(3, 0, ""));
        assertArrayEquals(bytes('M', 'N', 'T', 'R', 1, 0, 4, 0x80, 3, 0, 0, 0, 0, 0, 0, 0,
                9, 0, 0, 0,
                17, 0, 4, 0, 0, 0, 0, 0), bytes, "EXIT_STATUS 0 is sent; an empty OUTPUT is not");
        Reply decoded = MessageCodec.decodeReply(bytes);
        assertEquals(0, decoded.exitStatus());
        assertEquals("", decoded.message());
        assertEquals("", decoded.output());
    }

    @Test
    void aReplyWithoutExitStatusReadsAsMinus1() {
        Reply decoded = MessageCodec.decodeReply(MessageCodec.encodeReply(Reply.of(4, RUN_MOUNT, 110, "killed")));
        assertEquals(-1, decoded.exitStatus());
        assertEquals("", decoded.output());
        byte[] raw = RawMessage.header(1, 0x8004, 4, 0).field(RawMessage.MESSAGE, "").u32(EXIT_STATUS, 255)
                .field(OUTPUT, "out").bytes();
        Reply fromRaw = MessageCodec.decodeReply(raw);
        assertEquals(255, fromRaw.exitStatus());
        assertEquals("out", fromRaw.output());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "é", "€", "😀"})
    void aLongOutputIsCutToOutputMaxOnACharacterBoundary(String unit) {
        String output = "mount: " + unit.repeat(10_000) + "\n";
        Reply decoded = MessageCodec.decodeReply(MessageCodec.encodeReply(Reply.ofHelper(1, 1, output)));
        int size = decoded.output().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(size <= Limits.OUTPUT_MAX, size + " bytes");
        assertTrue(size > Limits.OUTPUT_MAX - 4, "cut at the limit, not before: " + size + " bytes");
        assertTrue(output.startsWith(decoded.output()), "a prefix of the original, no replacement characters");
        assertEquals(1, decoded.exitStatus());
    }

    @Test
    void aListEntryCarriesTheDaemonPid() {
        List<MountEntry> entries = List.of(
                new MountEntry("u@h:/d", "/var/lib/kubelet/pods/a", "fuse.sshfs", 10, 20, 4242),
                new MountEntry("none", "/var/lib/kubelet/pods/b", "tmpfs", 11, 21, 0));
        byte[] bytes = MessageCodec.encodeListReply(8, entries, 0);
        assertEquals(entries, MessageCodec.decodeReply(bytes).entries());
        // DAEMON_PID as tag 12, a u32, little-endian: 4242 = 0x1092
        byte[] field = bytes(DAEMON_PID, 0, 4, 0, 0x92, 0x10, 0, 0);
        assertTrue(indexOf(bytes, field) > 0, "DAEMON_PID field in the first entry");
    }

    @Test
    void aListEntryCarriesItsStateAndWhy() {
        List<MountEntry> entries = List.of(
                new MountEntry("u@h:/d", "/var/lib/kubelet/pods/a", "fuse.sshfs", 10, 20, 0)
                        .withState(MountState.RECOVERING, "its command exited with 1; next try in 4 s"),
                new MountEntry("s", "/var/lib/kubelet/pods/b", "fuse.bindfs", 11, 21, 0)
                        .withState(MountState.DEAD, "FUSE daemon died; its command is not run again"),
                new MountEntry("none", "/var/lib/kubelet/pods/c", "tmpfs", 12, 22, 0));

        assertEquals(entries, MessageCodec.decodeReply(MessageCodec.encodeListReply(8, entries, 0)).entries());
    }

    @Test
    void anEntryWithoutDaemonPidReadsAs0() {
        byte[] entry = RawMessage.header(1, 0, 0, 0).field(SOURCE, "s").field(TARGET, "/t").field(FSTYPE, "fuse")
                .bytes();
        byte[] raw = RawMessage.header(1, 0x8003, 1, 0)
                .field(RawMessage.ENTRY, Arrays.copyOfRange(entry, Limits.HEADER_SIZE, entry.length)).bytes();
        assertEquals(List.of(new MountEntry("s", "/t", "fuse", 0, 0, 0)), MessageCodec.decodeReply(raw).entries());
    }

    // ---- LIST paging ------------------------------------------------------------------

    private static List<MountEntry> bigEntries(int count) {
        return IntStream.range(0, count).mapToObj(i -> new MountEntry(
                "host" + i + ":/" + "s".repeat(4000),
                "/var/lib/kubelet/pods/" + i + "/" + "t".repeat(4000),
                "fuse.sshfs", 1000 + i, 1_700_000_000_000L + i, 2000 + i)).toList();
    }

    @Test
    void aFullListPageStaysWithinTheReplyLimitAndPointsAtTheNextEntry() {
        List<MountEntry> all = bigEntries(40);
        byte[] page = MessageCodec.encodeListReply(5, all, 0);
        Reply reply = MessageCodec.decodeReply(page);

        assertTrue(page.length <= Limits.MAX_REPLY, page.length + " bytes");
        assertEquals(0x8003, reply.kind());
        assertEquals(5, reply.id());
        assertEquals(0, reply.status());
        int count = reply.entries().size();
        assertTrue(count > 1 && count < all.size(), count + " entries on the first page");
        assertEquals(count, reply.nextCursor());
        assertEquals(all.subList(0, count), reply.entries());
    }

    @Test
    void pagingThroughAllPagesReturnsEveryEntryOnceInOrder() {
        List<MountEntry> all = bigEntries(40);
        List<MountEntry> seen = new ArrayList<>();
        int pages = 0;
        for (int cursor = 0; cursor >= 0; pages++) {
            assertTrue(pages < all.size(), "paging makes progress");
            byte[] page = MessageCodec.encodeListReply(1, all, cursor);
            assertTrue(page.length <= Limits.MAX_REPLY);
            Reply reply = MessageCodec.decodeReply(page);
            seen.addAll(reply.entries());
            cursor = reply.nextCursor();
        }
        assertEquals(all, seen);
        assertTrue(pages > 1, pages + " pages");
    }

    @Test
    void aShortListFitsOnePageWithoutNextCursor() {
        List<MountEntry> few = List.of(new MountEntry("a", "/var/lib/kubelet/pods/a", "fuse", 1, 2, 3),
                new MountEntry("", "/var/lib/kubelet/pods/b", "tmpfs", Integer.MAX_VALUE, Long.MAX_VALUE, 0));
        Reply reply = MessageCodec.decodeReply(MessageCodec.encodeListReply(2, few, 0));
        assertEquals(few, reply.entries());
        assertEquals(-1, reply.nextCursor());
        assertEquals(few.subList(1, 2), MessageCodec.decodeReply(MessageCodec.encodeListReply(2, few, 1)).entries());
    }

    @Test
    void aCursorAtTheEndGivesAnEmptyLastPage() {
        Reply reply = MessageCodec.decodeReply(MessageCodec.encodeListReply(2, bigEntries(3), 3));
        assertEquals(List.of(), reply.entries());
        assertEquals(-1, reply.nextCursor());
    }

    // ---- robustness --------------------------------------------------------------------

    private static final Set<Integer> REQUEST_ERRNOS = Set.of(EBADMSG, EINVAL, EPROTONOSUPPORT);

    /**
     * Random input in three shapes (noise; a valid header with random fields; a valid
     * request with bytes flipped and cut) never makes the decoder throw anything but
     * MalformedMessageException with an errno of the protocol table.
     */
    @Test
    void randomInputOnlyEverGivesMalformedMessageException() {
        byte[] valid = MessageCodec.encodeRequest(new Request.Mount(3, "u@h:/d", "/var/lib/kubelet/pods/p/v",
                "fuse.sshfs", 6, "fd=3,rootmode=40000", 3));
        int decoded = 0;
        int refused = 0;
        for (long seed = 1; seed <= 6000; seed++) {
            Random random = new Random(seed);
            byte[] input = switch ((int) (seed % 3)) {
                case 0 -> noise(random);
                case 1 -> randomFields(random);
                default -> mutated(random, valid);
            };
            try {
                MessageCodec.decodeRequest(input);
                decoded++;
            } catch (MalformedMessageException e) {
                assertTrue(REQUEST_ERRNOS.contains(e.errno()), "seed " + seed + ": errno " + e.errno());
                refused++;
            } catch (RuntimeException e) {
                fail("seed " + seed + ": " + e, e);
            }
        }
        assertTrue(decoded > 100 && refused > 100, "both outcomes reached: " + decoded + "/" + refused);
    }

    @Test
    void randomRepliesOnlyEverGiveMalformedMessageException() {
        byte[] valid = MessageCodec.encodeListReply(1, List.of(new MountEntry("s", "/t", "fuse", 9, 10, 13),
                new MountEntry("s2", "/t2", "fuse", 11, 12, 0)), 0);
        for (long seed = 1; seed <= 3000; seed++) {
            byte[] input = mutated(new Random(seed), valid);
            try {
                MessageCodec.decodeReply(input);
            } catch (MalformedMessageException e) {
                assertEquals(EBADMSG, e.errno(), "seed " + seed);
            } catch (RuntimeException e) {
                fail("seed " + seed + ": " + e, e);
            }
        }
    }

    private static byte[] noise(Random random) {
        byte[] bytes = new byte[random.nextInt(64)];
        random.nextBytes(bytes);
        if (bytes.length >= 4 && random.nextBoolean()) {
            System.arraycopy(new byte[] {'M', 'N', 'T', 'R'}, 0, bytes, 0, 4);
        }
        return bytes;
    }

    private static byte[] randomFields(Random random) {
        RawMessage raw = RawMessage.header(random.nextInt(4) == 0 ? random.nextInt(3) : 1, 1 + random.nextInt(5),
                random.nextInt(), random.nextInt(8) == 0 ? random.nextInt() : 0);
        for (int i = random.nextInt(8); i > 0; i--) {
            byte[] value = new byte[random.nextInt(12)];
            random.nextBytes(value);
            int tag = 1 + random.nextInt(18);
            if (random.nextInt(6) == 0) {
                raw.raw(tag, 0, random.nextInt(256), random.nextInt(2)).raw(toInts(value));
            } else {
                raw.field(tag, value);
            }
        }
        return raw.bytes();
    }

    private static byte[] mutated(Random random, byte[] valid) {
        byte[] bytes = valid.clone();
        for (int i = random.nextInt(4); i >= 0; i--) {
            bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        return random.nextInt(3) == 0 ? Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)) : bytes;
    }

    // ---- helpers -----------------------------------------------------------------------

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    private static int[] toInts(byte[] bytes) {
        int[] ints = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ints[i] = bytes[i];
        }
        return ints;
    }
}

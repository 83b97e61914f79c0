package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {

    @Test
    void linesWithAndWithoutOptionalFields() {
        List<MountInfo.Entry> entries = MountInfo.parse("""
                22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
                36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 propagate_from:2 - ext3 /dev/root rw,errors=continue
                612 29 0:53 / /var/lib/kubelet/pods/p/volumes/v rw,nosuid,nodev,relatime - fuse.sshfs root@127.0.0.1:/srv rw,user_id=0,group_id=0
                """);
        assertEquals(List.of(
                new MountInfo.Entry(22, 1, new DeviceNumber(0, 21), "/", "/proc", "proc", "proc",
                        "rw,nosuid,nodev,noexec,relatime", List.of("shared:5"), "rw"),
                new MountInfo.Entry(36, 35, new DeviceNumber(98, 0), "/mnt1", "/mnt2", "ext3", "/dev/root",
                        "rw,noatime", List.of("master:1", "propagate_from:2"), "rw,errors=continue"),
                new MountInfo.Entry(612, 29, new DeviceNumber(0, 53), "/", "/var/lib/kubelet/pods/p/volumes/v",
                        "fuse.sshfs", "root@127.0.0.1:/srv", "rw,nosuid,nodev,relatime", List.of(),
                        "rw,user_id=0,group_id=0")), entries);
    }

    @Test
    void optionsAndOptionalFieldsAreKeptApart() {
        MountInfo.Entry entry = MountInfo.parse(
                "90 87 0:50 / /p/a\\040b rw,nosuid,nodev shared:7 master:3 - fuse.sshfs u@h:/x "
                        + "rw,user_id=0,group_id=0,allow_other\n").get(0);
        assertEquals("rw,nosuid,nodev", entry.mountOptions());
        assertEquals(List.of("shared:7", "master:3"), entry.optionalFields());
        assertEquals("rw,user_id=0,group_id=0,allow_other", entry.superOptions());
        assertEquals("/p/a b", entry.mountPoint());
        assertEquals("fuse.sshfs", entry.fstype());
        assertThrows(UnsupportedOperationException.class, () -> entry.optionalFields().add("x"));
    }

    @Test
    void superOptionsAreUnescapedAndMayBeMissing() {
        // seq_show_option escapes a space (and ',', '=') inside an option's value
        assertEquals("rw,subvol=/a b", MountInfo.parse("50 29 0:70 / /s rw - btrfs /dev/x rw,subvol=/a\\040b\n")
                .get(0).superOptions());
        MountInfo.Entry bare = MountInfo.parse("51 29 0:71 / /t rw - tmpfs none\n").get(0);
        assertEquals("", bare.superOptions());
        assertEquals("none", bare.source());
    }

    @Test
    void theShortConstructorLeavesTheOptionsEmpty() {
        MountInfo.Entry entry = new MountInfo.Entry(1, 0, new DeviceNumber(8, 1), "/", "/", "ext4", "/dev/sda1");
        assertEquals("", entry.mountOptions());
        assertEquals(List.of(), entry.optionalFields());
        assertEquals("", entry.superOptions());
        assertEquals(new MountInfo.Entry(1, 0, new DeviceNumber(8, 1), "/", "/", "ext4", "/dev/sda1", "",
                List.of(), ""), entry);
    }

    @Test
    void octalEscapesAreDecodedInPathsAndSources() {
        MountInfo.Entry entry = MountInfo.parse(
                "700 29 0:60 / /var/lib/kubelet/pods/a\\040b/tab\\011new\\012line\\134back rw - fuse my\\040src rw\n")
                .get(0);
        assertEquals("/var/lib/kubelet/pods/a b/tab\tnew\nline\\back", entry.mountPoint());
        assertEquals("my src", entry.source());
    }

    @Test
    void escapesStandForBytesSoUtf8NamesSurvive() {
        // the kernel escapes only space, tab, newline, backslash (and '#'); a name it escaped
        // byte by byte must still come back as the same text
        assertEquals("/p/é x", MountInfo.unescape("/p/\\303\\251\\040x"));
        assertEquals("back\\slash", MountInfo.unescape("back\\slash"), "a backslash without three octal digits stays");
        assertEquals("end\\04", MountInfo.unescape("end\\04"));
    }

    @Test
    void aDashInsideAFieldIsNoSeparator() {
        MountInfo.Entry entry = MountInfo.parse("40 29 0:61 / /a-b rw,relatime shared:1 - tmpfs my-tmp rw,size=1k\n")
                .get(0);
        assertEquals("/a-b", entry.mountPoint());
        assertEquals("tmpfs", entry.fstype());
        assertEquals("my-tmp", entry.source());
    }

    @Test
    void anEmptySourceStaysEmpty() {
        MountInfo.Entry entry = MountInfo.parse("41 29 0:62 / /x rw - fuse  rw\n").get(0);
        assertEquals("", entry.source());
        assertEquals("fuse", entry.fstype());
    }

    @Test
    void somethingElseIsRefusedWithTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountInfo.parse("22 1 0:21 / /proc rw proc proc rw\n"));
        assertTrue(e.getMessage().contains("/proc rw proc"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MountInfo.parse("x 1 0:21 / /p rw - proc proc rw\n"));
        assertThrows(IllegalArgumentException.class, () -> MountInfo.parse("22 1 021 / /p rw - proc proc rw\n"));
    }

    @Test
    void theMachinesOwnMountinfoParses() {
        int fd = Syscalls.open("/proc/self/mountinfo", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        try {
            List<MountInfo.Entry> first = MountInfo.parse(new String(Syscalls.readFromStart(fd)));
            List<MountInfo.Entry> again = MountInfo.parse(new String(Syscalls.readFromStart(fd)));
            assertTrue(first.stream().anyMatch(e -> e.mountPoint().equals("/")), first.toString());
            assertEquals(first, again, "reading again from the start gives the table again");
        } finally {
            Syscalls.close(fd);
        }
    }
}

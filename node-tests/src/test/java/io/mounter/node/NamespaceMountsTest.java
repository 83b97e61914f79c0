package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.MountInfo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queries; the parsing itself is mounterd's, tested in MountInfoTest. */
class NamespaceMountsTest {
    private static final String MOUNTINFO = """
            27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            87 27 254:0 /tmp/n /tmp/n rw,relatime - ext4 /dev/vda rw
            90 87 0:50 / /tmp/n/pods/a\\040b rw,nosuid,nodev - fuse.sshfs root@127.0.0.1:/x rw,user_id=0
            91 90 0:51 / /tmp/n/pods/a\\040b/inner rw - tmpfs tmpfs rw
            92 87 0:52 / /tmp/n/pods/c rw - fuse.glusterfs 127.0.0.2:/v1 rw
            93 92 0:53 / /tmp/n/pods/c rw - tmpfs over rw
            """;

    @Test
    void entriesAreMountInfosWithEveryField() {
        MountInfo.Entry entry = NamespaceMounts.parse(MOUNTINFO).entries().get(2);

        assertEquals(90, entry.id());
        assertEquals("/tmp/n/pods/a b", entry.mountPoint());
        assertEquals("fuse.sshfs", entry.fstype());
        assertEquals("rw,nosuid,nodev", entry.mountOptions());
        assertEquals("rw,user_id=0", entry.superOptions());
        assertEquals(List.of("shared:1"), NamespaceMounts.parse(MOUNTINFO).entries().get(0).optionalFields());
    }

    @Test
    void atGivesTheTopmostMount() {
        NamespaceMounts mounts = NamespaceMounts.parse(MOUNTINFO);

        assertEquals("over", mounts.at(Path.of("/tmp/n/pods/c")).orElseThrow().source());
        assertEquals("over", mounts.at(Path.of("/tmp/n/pods/./c/")).orElseThrow().source(), "normalized");
        assertTrue(mounts.isMounted(Path.of("/tmp/n/pods/a b")));
        assertFalse(mounts.isMounted(Path.of("/tmp/n/pods")));
    }

    @Test
    void underListsDeepestFirstAndUpperBeforeLower() {
        List<Integer> ids = NamespaceMounts.parse(MOUNTINFO).under(Path.of("/tmp/n/pods")).stream()
                .map(MountInfo.Entry::id).toList();

        assertEquals(List.of(91, 93, 92, 90), ids);
    }

    @Test
    void underDoesNotMatchSiblingsWithTheSamePrefix() {
        assertEquals(List.of(), NamespaceMounts.parse(MOUNTINFO).under(Path.of("/tmp/n/pod")));
        MountInfo.Entry pods = NamespaceMounts.parse(MOUNTINFO).entries().get(4);
        assertTrue(NamespaceMounts.isAtOrUnder(pods, Path.of("/tmp/n/pods")));
        assertTrue(NamespaceMounts.isAtOrUnder(pods, Path.of("/tmp/n/pods/c")));
        assertFalse(NamespaceMounts.isAtOrUnder(pods, Path.of("/tmp/n/pod")));
    }

    @Test
    void rejectsGarbage() {
        IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
                () -> NamespaceMounts.parse("not a mountinfo line"));
        assertTrue(failure.getMessage().contains("not a mountinfo line"));
    }
}

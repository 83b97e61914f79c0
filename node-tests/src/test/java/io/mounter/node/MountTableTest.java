package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final String MOUNTINFO = """
            27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            87 27 254:0 /tmp/n /tmp/n rw,relatime - ext4 /dev/vda rw
            90 87 0:50 / /tmp/n/pods/a\\040b rw,nosuid,nodev - fuse.sshfs root@127.0.0.1:/x rw,user_id=0
            91 90 0:51 / /tmp/n/pods/a\\040b/inner rw - tmpfs tmpfs rw
            92 87 0:52 / /tmp/n/pods/c rw - fuse.glusterfs 127.0.0.2:/v1 rw
            93 92 0:53 / /tmp/n/pods/c rw - tmpfs over rw
            """;

    @Test
    void parsesFieldsAndDecodesOctalEscapes() {
        MountEntry entry = MountTable.parse(MOUNTINFO).entries().get(2);

        assertEquals(90, entry.id());
        assertEquals(87, entry.parentId());
        assertEquals(Path.of("/tmp/n/pods/a b"), entry.mountPoint());
        assertEquals("fuse.sshfs", entry.fsType());
        assertEquals("root@127.0.0.1:/x", entry.source());
        assertEquals(List.of("shared:1"), MountTable.parse(MOUNTINFO).entries().get(0).optionalFields());
    }

    @Test
    void atGivesTheTopmostMount() {
        MountTable table = MountTable.parse(MOUNTINFO);

        assertEquals("over", table.at(Path.of("/tmp/n/pods/c")).orElseThrow().source());
        assertTrue(table.isMounted(Path.of("/tmp/n/pods/a b")));
        assertFalse(table.isMounted(Path.of("/tmp/n/pods")));
    }

    @Test
    void underListsDeepestFirstAndUpperBeforeLower() {
        List<Integer> ids = MountTable.parse(MOUNTINFO).under(Path.of("/tmp/n/pods")).stream()
                .map(MountEntry::id).toList();

        assertEquals(List.of(91, 93, 92, 90), ids);
    }

    @Test
    void underDoesNotMatchSiblingsWithTheSamePrefix() {
        assertEquals(List.of(), MountTable.parse(MOUNTINFO).under(Path.of("/tmp/n/pod")));
    }

    @Test
    void rejectsGarbage() {
        IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
                () -> MountTable.parse("not a mountinfo line"));
        assertTrue(failure.getMessage().contains("not a mountinfo line"));
    }
}

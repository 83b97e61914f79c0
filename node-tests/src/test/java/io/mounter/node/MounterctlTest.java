package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** mounterctl as an operator runs it inside the mount container. */
class MounterctlTest {

    @Test
    void listsMountsAsTableAndJsonAndPrintsItsVersion() throws IOException {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            String mounterctl = node.dist().bin("mounterctl").toString();
            Path source = node.node().newDirectory("listed");
            Path target = node.node().newVolumeDir("listed");
            node.container().run("bindfs", source.toString(), target.toString());

            String table = node.container().run(mounterctl, "list").stdout();
            assertTrue(table.lines().anyMatch(l -> l.startsWith(target.toString()) && l.contains("fuse")), table);

            List<Object> rows = JSON.std.listFrom(node.container().run(mounterctl, "list", "--output", "json").stdout());
            assertEquals(1, rows.size(), rows.toString());
            Map<?, ?> row = (Map<?, ?>) rows.get(0);
            assertEquals(target.toString(), row.get("target"));
            assertEquals(source.toString(), row.get("source"));
            assertEquals("fuse.bindfs", row.get("fstype"), "named after its daemon");
            assertTrue(((Number) row.get("requesterPid")).intValue() > 0, row.toString());

            String version = node.container().run(mounterctl, "version").stdout();
            assertTrue(version.matches("mounter \\S+ \\(protocol 1\\)\\s*"), version);
            node.host().run("umount", target.toString());
        }
    }
}

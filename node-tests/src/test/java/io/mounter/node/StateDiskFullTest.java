package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A full state disk must not stop mounts: mounterd keeps its table in memory, says it is
 * degraded and why, and becomes healthy again once a save succeeds.
 */
class StateDiskFullTest {

    @Test
    void mountsGoOnHealthSaysDegradedAndRecoversWhenSpaceIsBack() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            node.stopMounterd();
            // a small filesystem of the container's own over the state directory, filled up
            // mode 0755: a tmpfs root is 1777 by default, and mounterd refuses a state directory others may write
            node.container().run("mount", "-t", "tmpfs", "-o", "size=32k,mode=0755", "mounter-state", Mounterd.STATE_DIR);
            CommandResult fill = node.container().exec("dd", "if=/dev/zero", "of=" + Mounterd.STATE_DIR + "/fill",
                    "bs=4k");
            assertTrue(fill.stderr().contains("No space left on device"), fill.describe());
            node.restartMounterd();

            String status = status(node);
            assertTrue(status.startsWith("degraded: "), status);
            assertTrue(status.contains("state: cannot write " + Mounterd.STATE_DIR + "/mounts.json"), status);
            assertTrue(status.contains("No space left on device"), status);

            LiveMount mount = LiveMount.bindfs(node, "on-a-full-disk");
            mount.roundTrip(node);
            assertEquals(1, LiveMount.list(node).size(), "the mount is in the table");
            assertTrue(status(node).startsWith("degraded: "), "still degraded: the state is not saved");
            assertEquals(List.of(), LiveMount.savedMounts(node));

            node.container().run("rm", Mounterd.STATE_DIR + "/fill");
            LiveMount.await(() -> status(node).startsWith("ok: "), Duration.ofSeconds(5), "healthy again");
            List<?> saved = LiveMount.savedMounts(node);
            assertEquals(List.of(mount.target().toString()), saved.stream().map(m -> ((Map<?, ?>) m).get("target"))
                    .toList(), "the table saved once space was back");
        }
    }

    private static String status(MounterNode node) {
        CommandResult result = node.container().exec(node.dist().bin("mounterctl").toString(), "status");
        assertNotEquals(-1, result.exitStatus(), result.describe());
        assertEquals(0, result.exitStatus(), "degraded still answers: " + result.describe());
        return result.stdout().strip();
    }
}

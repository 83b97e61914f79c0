package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Threat: a record in the state file (crafted, or stale) that names another driver's FUSE
 * mount below the pod directories, one served by a daemon outside the mount container. Its
 * target, type, source and device all agree with the host, yet mounterd cannot show that it
 * made the mount: it must neither know it nor, once no daemon of its own shows up, detach it.
 */
class ForeignRecordTest extends OnMounterNode {
    @Test
    void aSavedRecordOfAMountServedFromOutsideTheContainerIsForgottenAndTheMountLeftAlone() throws IOException {
        Path source = node.node().newDirectory("foreign-source");
        Files.writeString(source.resolve("theirs"), "another driver's volume\n");
        Path target = node.node().newVolumeDir("kubernetes.io~csi/foreign");
        // bindfs run in the host namespace, not the container: another driver's FUSE mount,
        // of a type the policy allows
        node.host().run("bindfs", "-o", "subtype=bindfs", source.toString(), target.toString());
        try {
            MountInfo.Entry foreign = node.host().mountinfo().at(target).orElseThrow();
            node.stopMounterd();
            Files.writeString(node.mounterd().stateDirFromOutside().resolve("mounts.json"), """
                    {"version":1,"starts":1,"mounts":[{"target":"%s","source":"%s","fstype":"%s",\
                    "requesterPid":1,"createdAt":1700000000000,"device":"%s"}]}
                    """.formatted(target, foreign.source(), foreign.fstype(), foreign.device()));
            node.restartMounterd();

            assertTrue(LiveMount.list(node).stream().noneMatch(e -> e.target().equals(target.toString())),
                    "not known: " + LiveMount.list(node));
            assertTrue(MounterdLog.of(node).all().stream().anyMatch(line -> "forgotten".equals(line.get("message"))
                    && target.toString().equals(line.get("target"))
                    && line.getOrDefault("reason", "").contains("served from outside the mount container")),
                    node.mounterd().log());
            Processes.sleep(Duration.ofSeconds(3)); // past the watcher's grace for a daemon to show up
            MountInfo.Entry after = node.host().mountinfo().at(target).orElseThrow(
                    () -> new AssertionError("the foreign mount was detached:\n" + node.mounterd().log()));
            assertEquals(foreign.device(), after.device(), "the same mount, untouched");
            assertEquals("another driver's volume\n", node.host().run("cat", target.resolve("theirs").toString()).stdout(),
                    "still served by its own daemon");
        } finally {
            node.host().exec("umount", target.toString());
        }
    }
}

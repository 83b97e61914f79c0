package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With the shim in place but no mounterd listening, a FUSE helper must fail, say so in one
 * line, and mount nothing anywhere: mounting inside the container instead would hide the
 * volume from kubelet and let the pod write into the container.
 */
class ShimFailsClosedTest {

    @Test
    void aFuseMountWithoutMounterdFailsAndMountsNothing() {
        Privileged.assume();
        Distribution dist = Distribution.locate();
        try (SimulatedNode node = SimulatedNode.start(dir -> ContainerConfig.plain()
                .withPreload(dist.preloadLibrary())
                .withPreloadConfig("forward-umount-prefix " + dir.resolve("var/lib/kubelet") + "\n"))) {
            Path source = node.newDirectory("source");
            Path target = node.newVolumeDir("unserved");
            CommandResult result = node.container().exec("bindfs", source.toString(), target.toString());

            assertNotEquals(0, result.exitStatus(), result.describe());
            List<String> shimLines = result.stderr().lines().filter(l -> l.startsWith("mounter-preload:")).toList();
            assertEquals(1, shimLines.size(), result.stderr());
            assertTrue(shimLines.get(0).contains("cannot reach mounterd at /run/mounter/mounter.sock"), shimLines.get(0));
            assertTrue(node.container().mountinfo().under(node.directory()).stream()
                    .noneMatch(m -> m.mountPoint().equals(target.toString())), "mounted in the container");
            assertTrue(node.host().mountinfo().under(node.directory()).isEmpty(), "mounted on the host");
        }
    }
}

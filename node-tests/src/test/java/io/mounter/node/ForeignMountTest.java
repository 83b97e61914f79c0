package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Threat: the prefixes hold mounts mounterd never made (another pod's emptyDir tmpfs, the
 * host's own), and the host may put a mount over one of mounterd's. UMOUNT touches only the
 * filesystem mounterd made, as the topmost mount on its target.
 */
class ForeignMountTest extends OnMounterNode {

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "tmpfs");
    }

    @Test
    void aRootUmountOfTheHostsOwnMountIsRefusedAndItStays() {
        Path emptyDir = node.node().newVolumeDir("kubernetes.io~empty-dir");
        node.host().run("mount", "-t", "tmpfs", "host-tmpfs", emptyDir.toString());
        try {
            Reply reply = ask(new Request.Umount(1, emptyDir.toString(), 0));

            assertEquals(Errno.EPERM, reply.status(), reply.toString());
            assertTrue(node.host().isMounted(emptyDir), "the host's own mount stays");
        } finally {
            node.host().run("umount", emptyDir.toString());
        }
    }

    @Test
    void aMountTheHostPutOverMounterdsIsNotTheOneUnmounted() {
        Path target = node.node().newVolumeDir("covered");
        assertEquals(0, ask(new Request.Mount(1, "made", target.toString(), "tmpfs", 0, "size=1m", -1)).status());
        node.host().run("mount", "-t", "tmpfs", "over-it", target.toString());
        try {
            Reply reply = ask(new Request.Umount(2, target.toString(), 0));

            assertEquals(Errno.EPERM, reply.status(), reply.toString());
            assertTrue(reply.message().contains("is not the one mounterd made"), reply.message());
            assertEquals("over-it", node.host().mountinfo().at(target).orElseThrow().source());
        } finally {
            node.host().run("umount", target.toString());
        }
        assertEquals(0, ask(new Request.Umount(3, target.toString(), 0)).status(), "its own, once on top again");
    }
}

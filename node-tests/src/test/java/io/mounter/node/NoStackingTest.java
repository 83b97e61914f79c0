package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * mount(8)'s rule, which kubelet's mount library relies on: a mount onto a target that
 * already holds one is refused with EBUSY, whoever asks, and nothing is stacked over it.
 */
class NoStackingTest extends OnMounterNode {

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "tmpfs", "--allow-fstype", "fuse.bindfs");
    }

    @Test
    void aMountRequestOntoAMountPointIsEbusy() {
        Path target = node.node().newVolumeDir("stacked-tmpfs");
        assertEquals(0, ask(new Request.Mount(1, "tmpfs", target.toString(), "tmpfs", 0, "size=1m", -1)).status());

        Reply again = ask(new Request.Mount(2, "tmpfs", target.toString(), "tmpfs", 0, "size=1m", -1));

        assertEquals(Errno.EBUSY, again.status(), again.toString());
        assertTrue(again.message().contains("is already a mount point"), again.message());
        assertEquals(1, mountsAt(target), "one mount on the target");
        assertEquals(0, ask(new Request.Umount(3, target.toString(), 0)).status());
        assertFalse(node.host().isMounted(target));
    }

    @Test
    void aSecondFuseDaemonOntoAServedTargetFailsAndTheFirstServesOn() {
        Path first = node.node().newDirectory("first-source");
        Path second = node.node().newDirectory("second-source");
        Path target = node.node().newVolumeDir("stacked-bindfs");
        node.container().run("bindfs", first.toString(), target.toString());

        CommandResult again = node.container().command(List.of("bindfs", second.toString(), target.toString())).exec();

        assertFalse(again.succeeded(), again.describe());
        assertEquals(1, mountsAt(target), "one mount on the target");
        assertTrue(node.host().mountinfo().at(target).orElseThrow().source().contains(first.toString()),
                node.host().mountinfo().toString());
        node.host().run("umount", target.toString());
    }

    private long mountsAt(Path target) {
        return node.host().mountinfo().entries().stream().filter(e -> e.mountPoint().equals(target.toString()))
                .count();
    }
}

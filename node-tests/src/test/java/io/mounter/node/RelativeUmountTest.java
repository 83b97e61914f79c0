package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An unmount by a name relative to the working directory, as util-linux umount may make it
 * (chdir to the parent, then umount2("name")) and as anyone can: the shim takes it against
 * the working directory and forwards it, so the mount goes on the host too, never in the
 * container alone.
 */
class RelativeUmountTest extends OnMounterNode {

    @Test
    void umount2OfANameInTheWorkingDirectoryUnmountsOnTheHost() {
        Path target = bindfs("relative-umount2");

        CommandResult umount = node.container().command(List.of("sh", "-c", "cd \"$1\" && exec \"$2\" umount \"$3\"",
                "sh", target.getParent().toString(), node.dist().root().resolve("libexec/preload-probe").toString(),
                target.getFileName().toString())).exec();

        assertTrue(umount.succeeded(), umount.describe());
        assertFalse(node.host().isMounted(target), "still mounted on the host:\n" + node.host().mountinfo());
        assertTrue(MounterdLog.of(node).lines("request").stream()
                .anyMatch(line -> "UMOUNT".equals(line.get("op")) && target.toString().equals(line.get("target"))),
                "mounterd unmounted it by its full path:\n" + node.mounterd().log());
    }

    @Test
    void utilLinuxUmountRunInTheParentUnmountsOnTheHost() {
        Path target = bindfs("relative-umount");

        node.container().run("sh", "-c", "cd \"$1\" && umount \"$2\"", "sh", target.getParent().toString(),
                target.getFileName().toString());

        assertFalse(node.host().isMounted(target), "still mounted on the host:\n" + node.host().mountinfo());
        assertFalse(node.container().isMounted(target));
    }

    private Path bindfs(String name) {
        Path source = node.node().newDirectory(name + "-source");
        Path target = node.node().newVolumeDir(name);
        node.container().run("bindfs", source.toString(), target.toString());
        assertTrue(node.host().isMounted(target));
        assertEquals(1, node.host().mountinfo().entries().stream()
                .filter(e -> e.mountPoint().equals(target.toString())).count());
        return target;
    }
}

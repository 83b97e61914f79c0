package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Real FUSE helpers run inside the mount container with the shim in its ld.so.preload;
 * their mounts must land in the host namespace through mounterd.
 */
class ForwardedFuseMountTest extends OnMounterNode {

    @Test
    void bindfsOfATempDirectory() throws IOException {
        Path source = node.node().newDirectory("bindfs-source");
        Path target = node.node().newVolumeDir("bindfs");
        node.container().run("bindfs", source.toString(), target.toString());
        ServedMount.check(node, target, "bindfs", source);
    }

    @Test
    void sshfsHelperCommandToAnSshdOnLoopback() throws IOException {
        SshServer ssh = node.node().ssh();
        Path target = node.node().newVolumeDir("sshfs");
        node.container().run(ssh.sshfsCommand(target).toArray(String[]::new));
        ServedMount.check(node, target, "sshfs", ssh.exportDir());
    }

    @Test
    void sshfsThroughMountCommand() throws IOException {
        // mount(8) -> /sbin/mount.fuse.sshfs -> sshfs: the helper path kubelet's exec takes
        SshServer ssh = node.node().ssh();
        Path target = node.node().newVolumeDir("sshfs-mount");
        node.container().run("mount", "-t", "fuse.sshfs", "-o", ssh.sshfsOptions(), ssh.source(), target.toString());
        // the daemon keeps the helper's name, cut to the kernel's 15-byte comm
        ServedMount.check(node, target, "mount.fuse.sshf", ssh.exportDir());
    }

    @Test
    void glusterfsWithPlainMountCommand() throws IOException {
        GlusterVolume volume = node.node().gluster().createVolume("forwarded");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");
        node.container().run("mount", "-t", "glusterfs", volume.source(), target.toString());
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void bindfsThroughMountFuse() throws IOException {
        // mount(8) -> mount.fuse3, which execs "bindfs SOURCE TARGET" for a "bindfs#SOURCE" source
        Path source = node.node().newDirectory("mount-fuse-source");
        Path target = node.node().newVolumeDir("mount-fuse");
        node.container().run("mount", "-t", "fuse", "bindfs#" + source, target.toString());
        ServedMount.check(node, target, "bindfs", source);
    }

    /**
     * Threat: plain fuse is allowed, and a subtype= option would have the kernel record the
     * mount as fuse.evil; the policy judges the type the kernel records. A root caller in the
     * container, with a /dev/fuse descriptor of its own.
     */
    @Test
    void aSubtypeOptionCannotTurnAllowedPlainFuseIntoAnotherType() {
        Path target = node.node().newVolumeDir("subtype-evil");
        String probe = node.dist().root().resolve("libexec/preload-probe").toString();

        CommandResult result = node.container().command(java.util.List.of("sh", "-c",
                "exec 3<>/dev/fuse && exec \"$0\" mount src \"$1\" fuse 0 fd=3,rootmode=40000,user_id=0,group_id=0,subtype=evil",
                probe, target.toString())).exec();

        assertTrue(result.stdout().startsWith("ret=-1"), result.describe());
        assertTrue(result.stderr().contains("fstype fuse.evil (fuse with its subtype= option) is not allowed"),
                result.describe());
        assertFalse(node.host().isMounted(target), "mounted on the host:\n" + node.host().mountinfo());
    }
}

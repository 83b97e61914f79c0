package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Threat: a user mounting without end through the setuid stand-in. fusermount's mount_max
 * from the container's /etc/fuse.conf holds for users (root's mounts count, root is not
 * held). A node of its own: no other test's mount comes or goes meanwhile.
 */
class UserMountMaxTest extends OnMounterNode {
    @Test
    void aUserIsHeldToMountMax() throws IOException {
        ContainerUser user = new ContainerUser(node);
        SshServer ssh = node.node().ssh();
        Path rootsMount = node.node().newVolumeDir("mount-max-root");
        node.container().command(ssh.sshfsCommand(rootsMount)).run();
        user.fuseConf("user_allow_other\nmount_max = 2\n");
        Path key = user.sshKey("mount-max-key");
        Path first = user.own(node.node().newVolumeDir("mount-max-1"));
        Path second = user.own(node.node().newVolumeDir("mount-max-2"));
        try {
            node.container().command(ContainerUser.asUser("sshfs", "-o", "allow_other," + ssh.sshfsOptions(key),
                    ssh.source(), first.toString())).run();
            CommandResult over = node.container().command(ContainerUser.asUser("sshfs", "-o",
                    "allow_other," + ssh.sshfsOptions(key), ssh.source(), second.toString())).exec();

            assertTrue(node.host().mountinfo().at(first).isPresent(), "the second FUSE mount, within mount_max, landed");
            assertFalse(over.succeeded(), over.describe());
            assertTrue(over.stderr().contains("too many FUSE filesystems mounted; mount_max=2"), over.describe());
            assertTrue(node.host().mountinfo().at(second).isEmpty(), "nothing mounted past mount_max");
            assertTrue(MounterdLog.of(node).all().stream().anyMatch(line -> "65534".equals(line.get("real_uid"))
                    && line.getOrDefault("reason", "").startsWith("too many FUSE")),
                    "the refusal is logged with the user's real uid");
            Path rootsSecond = node.node().newVolumeDir("mount-max-root-2");
            node.container().command(ssh.sshfsCommand(rootsSecond)).run();
            assertTrue(node.host().mountinfo().at(rootsSecond).isPresent(), "root is not held to mount_max");
            try (MounterClient client = node.mounterd().client()) {
                assertEquals(3, client.list().size());
            }
        } finally {
            user.imagesFuseConf();
        }
    }
}

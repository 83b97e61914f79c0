package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real mount helpers work natively in the container (no shim): the baseline mounter changes. */
class NativeMountTest {
    private static SimulatedNode node;

    @BeforeAll
    static void startNode() {
        Privileged.assume();
        node = SimulatedNode.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void glusterfsMountReachesTheBrick() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("native");
        Path target = node.newVolumeDir("kubernetes.io~glusterfs/native");
        MountContainer container = node.container();

        container.run("mount", "-t", "glusterfs", volume.source(), target.toString());
        try {
            assertEquals("fuse.glusterfs", container.mountinfo().at(target).orElseThrow().fstype());
            assertFalse(node.host().isMounted(target), "a native mount in the container must not reach the host");
            container.run("sh", "-c", "echo through-gluster > " + target + "/file");
            assertEquals("through-gluster\n", Files.readString(volume.brick().resolve("file")));
        } finally {
            container.run("umount", target.toString());
        }
        assertFalse(container.isMounted(target));
    }

    @Test
    void sshfsMountReachesTheExportedDirectory() throws IOException {
        SshServer ssh = node.ssh();
        Path target = node.newVolumeDir("sshfs");
        MountContainer container = node.container();

        container.command(ssh.sshfsCommand(target)).run();
        try {
            assertEquals("fuse.sshfs", container.mountinfo().at(target).orElseThrow().fstype());
            container.run("sh", "-c", "echo through-sshfs > " + target + "/file");
            assertEquals("through-sshfs\n", Files.readString(ssh.exportDir().resolve("file")));
        } finally {
            container.run("umount", target.toString());
        }
        assertFalse(container.isMounted(target));
    }

    @Test
    void bindfsMountReachesItsSourceAndTheDaemonEndsOnUnmount() throws IOException {
        Path source = node.newDirectory("bindfs-source");
        Path target = node.newVolumeDir("bindfs");
        MountContainer container = node.container();

        container.run("bindfs", source.toString(), target.toString());
        long daemon = Processes.findByCmdline(container.pidNamespaceInode(), "bindfs " + source).orElseThrow().pid();
        try {
            assertEquals("fuse", container.mountinfo().at(target).orElseThrow().fstype());
            container.run("sh", "-c", "echo through-bindfs > " + target + "/file");
            assertEquals("through-bindfs\n", Files.readString(source.resolve("file")));
        } finally {
            container.run("umount", target.toString());
        }
        assertFalse(container.isMounted(target));
        assertTrue(Processes.waitForExit(daemon, Duration.ofSeconds(5)), "bindfs outlived its only mount");
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * FUSE daemons that do not mount themselves but run fusermount (libfuse as a user, rclone
 * always, glusterfs as a user) get the setuid stand-in in the mount container, which has
 * mounterd mount in the host namespace. And the shim's fsopen hook.
 */
class FusermountStandInTest extends OnMounterNode {
    private static final int USER = ContainerUser.UID;
    private static final Duration MOUNT_APPEARS = Duration.ofSeconds(20);

    /**
     * sshfs as uid 65534: libfuse's own mount(2) gets EPERM from the shim, quietly, and it
     * runs /usr/bin/fusermount3. allow_other, so that root on the host (kubelet, the round
     * trip) may enter a user's FUSE mount at all; fusermount's user_allow_other, which the
     * image's /etc/fuse.conf leaves off, is set for this test.
     */
    @Test
    void sshfsAsAUser() throws IOException {
        user().fuseConf("user_allow_other\n");
        SshServer ssh = node.node().ssh();
        Path target = user().own(node.node().newVolumeDir("sshfs-user"));
        Path key = user().sshKey("sshfs-user-key");

        node.container().command(ContainerUser.asUser("sshfs", "-o", "allow_other," + ssh.sshfsOptions(key), ssh.source(),
                target.toString())).run();

        MountInfo.Entry mount = node.host().mountinfo().at(target).orElseThrow();
        assertEquals("fuse.sshfs", mount.fstype(), "fstype from subtype=");
        assertEquals(ssh.source(), mount.source(), "source from fsname=");
        assertTrue(mount.superOptions().contains("user_id=" + USER), "owned by the user: " + mount.superOptions());
        assertTrue(mount.superOptions().contains("allow_other"), mount.superOptions());
        assertTrue(mount.mountOptions().contains("nosuid") && mount.mountOptions().contains("nodev"),
                mount.mountOptions());
        ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals("sshfs") && p.cmdline().contains(target.toString())).orElseThrow();
        assertEquals(USER, Files.getAttribute(Path.of("/proc/" + daemon.pid()), "unix:uid"), "the daemon runs as the user");
        ServedMount.check(node, target, "sshfs", ssh.exportDir());
    }

    /**
     * Threat: a user's filesystem opened to root and other users (kubelet, pods, mounterd),
     * who would trust what it serves, or hang in it. The image's fuse.conf has no
     * user_allow_other, so a user's allow_other is refused, as fusermount refuses it.
     */
    @Test
    void aUsersAllowOtherIsRefusedUnderTheImagesFuseConf() throws IOException {
        assertFalse(node.container().run("cat", MounterNode.FUSE_CONF).stdout().lines()
                .anyMatch(line -> line.strip().equals("user_allow_other")), "the image's fuse.conf allows it not");
        SshServer ssh = node.node().ssh();
        Path target = user().own(node.node().newVolumeDir("sshfs-user-allow-other"));
        Path key = user().sshKey("sshfs-allow-other-key");

        CommandResult result = node.container().command(ContainerUser.asUser("sshfs", "-o", "allow_other," + ssh.sshfsOptions(key),
                ssh.source(), target.toString())).exec();

        assertFalse(result.succeeded(), result.describe());
        assertTrue(result.stderr().contains("option allow_other only allowed if 'user_allow_other' is set"),
                result.describe());
        assertTrue(node.host().mountinfo().at(target).isEmpty(), "nothing mounted");
    }

    @AfterEach
    void imagesFuseConf() {
        user().imagesFuseConf();
    }

    private ContainerUser user() {
        return new ContainerUser(node);
    }

    /** Threat: a user's daemon mounted over another pod's emptyDir (a 0777 tmpfs), hiding it. */
    @Test
    void aUsersDaemonCannotMountOverAnotherMount() throws IOException {
        user().fuseConf("user_allow_other\n");
        SshServer ssh = node.node().ssh();
        Path emptyDir = node.node().newVolumeDir("kubernetes.io~empty-dir");
        // writable below too: here the container does not see the host's mount on it (with
        // HostToContainer propagation it would), and the stand-in checks the user's access
        Files.setPosixFilePermissions(emptyDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        node.host().run("mount", "-t", "tmpfs", "-o", "mode=0777", "other-pods-emptydir", emptyDir.toString());
        try {
            Path key = user().sshKey("sshfs-over-key");

            CommandResult over = node.container().command(ContainerUser.asUser("sshfs", "-o", "allow_other," + ssh.sshfsOptions(key),
                    ssh.source(), emptyDir.toString())).exec();

            assertFalse(over.succeeded(), over.describe());
            assertTrue(over.stderr().contains(emptyDir + " is already a mount point"), over.describe());
            assertEquals(1, node.host().mountinfo().entries().stream()
                    .filter(e -> e.mountPoint().equals(emptyDir.toString())).count(), "nothing over the emptyDir");
            assertEquals("tmpfs", node.host().mountinfo().at(emptyDir).orElseThrow().fstype());
        } finally {
            node.host().run("umount", emptyDir.toString());
        }
    }

    /**
     * rclone (bazil.org/fuse) never calls mount(2): it always runs fusermount (found in PATH:
     * /usr/bin/fusermount, a link to fusermount3) with _FUSE_COMMFD, here as root. Run in
     * the foreground: with --daemon the parent waits (--daemon-wait, 60 s) for the mount to
     * show in its own mountinfo, where it never appears, then fails and the daemon dies;
     * --daemon --daemon-wait 0 works.
     */
    @Test
    void rcloneMountOfALocalDirectory() throws IOException {
        Path source = node.node().newDirectory("rclone-source");
        Path target = node.node().newVolumeDir("rclone");
        Path log = node.node().logDir().resolve("rclone.log");
        Process rclone = node.container().start(List.of("rclone", "mount", source.toString(), target.toString()),
                Map.of(), log);
        try {
            awaitHostMount(target, rclone, log);
            assertEquals("fuse.rclone", node.host().mountinfo().at(target).orElseThrow().fstype());
            ServedMount.check(node, target, "rclone", source);
            assertTrue(rclone.toHandle().onExit().isDone() || Processes.waitForExit(rclone.toHandle(),
                    Duration.ofSeconds(10)), "rclone's command ends with the mount");
        } finally {
            Processes.terminateTree(rclone.toHandle(), Duration.ofSeconds(5));
        }
    }

    /**
     * glusterfs as uid 65534: its own mount(2) gets EPERM from the shim, and it runs
     * /usr/bin/fusermount-glusterfs with its open /dev/fuse descriptor in _FUSE_DEVFD.
     * (glusterfs asks for allow_other itself: user_allow_other in fuse.conf lets it.)
     */
    @Test
    void glusterfsAsAUser() throws IOException {
        user().fuseConf("user_allow_other\n");
        GlusterVolume volume = node.node().gluster().createVolume("as-user");
        Path target = user().own(node.node().newVolumeDir("kubernetes.io~glusterfs/as-user"));
        Path logDir = user().own(node.node().newDirectory("glusterfs-user-log"));

        node.container().command(ContainerUser.asUser("glusterfs", "--volfile-server=" + GlusterServer.ADDRESS,
                "--volfile-id=" + volume.name(), "--log-file=" + logDir.resolve("client.log"),
                target.toString())).run();

        MountInfo.Entry mount = awaitHostMount(target, logDir.resolve("client.log"));
        assertEquals("fuse.glusterfs", mount.fstype());
        assertTrue(mount.superOptions().contains("user_id=" + USER), "owned by the user: " + mount.superOptions());
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    /** libmount (util-linux 2.39+) falls back to mount(2) when fsopen fails with ENOSYS. */
    @Test
    void fsopenOfAForwardedTypeFailsWithEnosys() {
        String probe = node.dist().root().resolve("libexec/preload-probe").toString();
        CommandResult fuse = node.container().run(probe, "fsopen", "fuse.sshfs");
        assertTrue(fuse.stdout().startsWith("ret=-1 errno=38 "), "fsopen(fuse.sshfs): " + fuse.stdout());
        CommandResult plainFuse = node.container().run(probe, "fsopen", "fuse");
        assertTrue(plainFuse.stdout().startsWith("ret=-1 errno=38 "), "fsopen(fuse): " + plainFuse.stdout());
        // untouched: the kernel gives a descriptor (errno stays as the probe set it, EXDEV)
        CommandResult tmpfs = node.container().run(probe, "fsopen", "tmpfs");
        assertTrue(tmpfs.stdout().startsWith("ret=0 errno=18 "), "fsopen(tmpfs): " + tmpfs.stdout());
    }

    /** Waits for the mount in the host namespace while {@code daemon} runs (null: any time). */
    private MountInfo.Entry awaitHostMount(Path target, Process daemon, Path log) throws IOException {
        long deadline = System.nanoTime() + MOUNT_APPEARS.toNanos();
        while (true) {
            Optional<MountInfo.Entry> mount = node.host().mountinfo().at(target);
            if (mount.isPresent()) {
                return mount.get();
            }
            if ((daemon != null && !daemon.isAlive()) || System.nanoTime() - deadline > 0) {
                throw new AssertionError("no mount at " + target + " in the host namespace; log:\n"
                        + Files.readString(log) + "\nmounterd:\n" + node.mounterd().log());
            }
            Processes.sleep(Duration.ofMillis(50));
        }
    }

    private MountInfo.Entry awaitHostMount(Path target, Path log) throws IOException {
        return awaitHostMount(target, null, log);
    }
}

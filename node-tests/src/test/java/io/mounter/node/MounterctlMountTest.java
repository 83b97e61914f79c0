package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * `mounterctl mount`: mounterd runs mount(8) itself inside the mount container, with the
 * shim active; the result must be the same as a helper run by kubelet's exec, and a hung or
 * failing helper must come back to the caller cleanly.
 */
class MounterctlMountTest extends OnMounterNode {

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "fuse.hang", "--allow-fstype", "fuse.fail");
    }

    private CommandResult mounterctl(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of(node.dist().bin("mounterctl").toString()));
        argv.addAll(List.of(args));
        return node.container().command(argv).withTimeout(Duration.ofMinutes(2)).exec();
    }

    @Test
    void glusterfs() throws IOException {
        GlusterVolume volume = node.node().gluster().createVolume("ctl");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/ctl");
        CommandResult result = mounterctl("mount", "-t", "glusterfs", volume.source(), target.toString());
        assertEquals(0, result.exitStatus(), result.describe());
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void sshfs() throws IOException {
        SshServer ssh = node.node().ssh();
        Path target = node.node().newVolumeDir("ctl-sshfs");
        CommandResult result = mounterctl("mount", "-t", "fuse.sshfs", "-o", ssh.sshfsOptions(), ssh.source(),
                target.toString());
        assertEquals(0, result.exitStatus(), result.describe());
        ServedMount.check(node, target, "mount.fuse.sshf", ssh.exportDir());
    }

    @Test
    void bindfs() throws IOException {
        Path source = node.node().newDirectory("ctl-bindfs");
        Path target = node.node().newVolumeDir("ctl-bindfs");
        CommandResult result = mounterctl("mount", "-t", "fuse", "bindfs#" + source, target.toString());
        assertEquals(0, result.exitStatus(), result.describe());
        ServedMount.check(node, target, "bindfs", source);
    }

    @Test
    void aHelperThatHangsIsKilledAtTheTimeoutAndLeavesNoMount() throws IOException {
        // mounts through the shim first, then hangs: the timeout must also undo that mount
        Path pids = node.node().directory().resolve("hang.pids");
        installHelper("mount.fuse.hang", """
                #!/bin/sh
                bindfs "$1" "$2" || exit 1
                echo $$ >> %s
                exec sleep 1000
                """.formatted(pids));
        Path source = node.node().newDirectory("hang-source");
        Path target = node.node().newVolumeDir("hang");

        CommandResult result = mounterctl("mount", "-t", "fuse.hang", "--timeout", "3", source.toString(),
                target.toString());

        assertEquals(32, result.exitStatus(), result.describe());
        assertTrue(result.stderr().contains("killed after 3000 ms; 1 mount(s) made for it removed"), result.stderr());
        assertFalse(node.host().isMounted(target), "the hung helper's mount was removed");
        long hungPid = Long.parseLong(Files.readString(pids).strip());
        assertTrue(node.container().processes().stream().noneMatch(p -> p.comm().equals("sleep")),
                "the helper's process group is gone (pid " + hungPid + " in the container)");
        assertTrue(node.container().processes().stream().noneMatch(p -> p.cmdline().contains(target.toString())),
                "no process still serves " + target + ": " + node.container().processes());
        try (MounterClient client = node.mounterd().client()) {
            assertTrue(client.list().stream().noneMatch(e -> e.target().equals(target.toString())), "no record left");
        }
    }

    @Test
    void aFailingHelpersMessageAndExitStatusReachTheCaller() {
        installHelper("mount.fuse.fail", """
                #!/bin/sh
                echo "mount.fuse.fail: volume $1 does not exist" >&2
                exit 17
                """);
        Path target = node.node().newVolumeDir("fail");
        CommandResult result = mounterctl("mount", "-t", "fuse.fail", "nosuchvolume", target.toString());
        assertEquals(17, result.exitStatus(), result.describe());
        assertTrue(result.stderr().contains("mount.fuse.fail: volume nosuchvolume does not exist"), result.stderr());
        assertFalse(node.host().isMounted(target));
    }

    @Test
    void aRealGlusterfsFailureReachesTheCaller() {
        node.node().gluster();
        Path target = node.node().newVolumeDir("no-volume");
        CommandResult result = mounterctl("mount", "-t", "glusterfs", "127.0.0.2:/does-not-exist", target.toString());
        assertTrue(result.exitStatus() != 0, result.describe());
        assertTrue(result.stderr().contains("Mount failed") || result.stderr().contains("failed"), result.stderr());
        assertFalse(node.host().isMounted(target));
    }

    @Test
    void refusedTargetAndUmountAndStatus() throws IOException {
        CommandResult refused = mounterctl("mount", "-t", "glusterfs", "127.0.0.2:/x", "/etc/passwd-dir");
        assertEquals(32, refused.exitStatus(), refused.describe());
        assertTrue(refused.stderr().contains("not under an allowed prefix"), refused.stderr());

        Path source = node.node().newDirectory("umount-source");
        Path target = node.node().newVolumeDir("umount");
        assertEquals(0, mounterctl("mount", "-t", "fuse", "bindfs#" + source, target.toString()).exitStatus());
        assertTrue(node.host().isMounted(target));
        CommandResult umount = mounterctl("umount", target.toString());
        assertEquals(0, umount.exitStatus(), umount.describe());
        assertFalse(node.host().isMounted(target));

        CommandResult status = mounterctl("status");
        assertEquals(0, status.exitStatus(), status.describe());
        assertTrue(status.stdout().startsWith("ok: "), status.stdout());
    }

    /** Puts a mount helper into the container's /sbin (its overlay; the machine's is untouched). */
    private void installHelper(String name, String script) {
        Path path = node.container().hostView("/usr/sbin/" + name);
        try {
            Files.writeString(path, script);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

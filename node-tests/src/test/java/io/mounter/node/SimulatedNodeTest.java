package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatedNodeTest {

    @Test
    void closeLeavesNoProcessNoMountAndNoDirectory() {
        Privileged.assume();
        SimulatedNode node = SimulatedNode.start();
        Path dir = node.directory();
        List<Long> started = new ArrayList<>();
        try {
            MountContainer container = node.container();
            GlusterVolume volume = node.gluster().createVolume("teardown");
            container.run("mount", "-t", "glusterfs", volume.source(), node.newVolumeDir("gluster").toString());
            container.command(node.ssh().sshfsCommand(node.newVolumeDir("sshfs"))).run();
            container.start(List.of("sleep", "600"), Map.of(), node.logDir().resolve("sleep.log"));
            // a FUSE daemon running on the host side, which keeps the host namespace alive by itself
            Path hostTarget = node.newVolumeDir("host-bindfs");
            node.host().run("bindfs", node.newDirectory("src").toString(), hostTarget.toString());
            assertTrue(node.host().isMounted(hostTarget));

            started.addAll(List.of(node.network().holderPid(), node.host().pid(), container.initPid(),
                    node.gluster().holderPid(), node.ssh().holderPid()));
            container.processes().forEach(process -> started.add(process.pid()));
            started.addAll(Processes.inNamespace("mnt", node.host().mountNamespaceInode()));
        } finally {
            node.close();
        }

        List<Long> running = started.stream().filter(Processes::isRunning).toList();
        assertEquals(List.of(), running, "still running after close()");
        assertEquals(List.of(), mountsUnderAnywhere(dir));
        assertFalse(Files.exists(dir), dir + " still exists");
        node.close(); // idempotent
        assertThrows(IllegalStateException.class, node::gluster);
    }

    // every process's view, so that a mount left in any namespace shows up
    static List<String> mountsUnderAnywhere(Path dir) {
        List<String> found = new ArrayList<>();
        for (long pid : Processes.all()) {
            try {
                NamespaceMounts.of(pid).under(dir).forEach(mount -> found.add(pid + ": " + mount.mountPoint()));
            } catch (IllegalStateException vanishedOrProtected) {
                // exited meanwhile, or the sandbox's protected PID 1
            }
        }
        return found;
    }
}

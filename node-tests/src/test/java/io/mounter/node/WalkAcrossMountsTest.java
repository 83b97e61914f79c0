package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Threat: a user in the mount container mounts a FUSE filesystem of their own below an
 * allowed prefix, one that never answers root, and sends requests for targets inside it. A
 * walk into it would wait on that daemon for ever, holding a worker and a thread of the
 * mount executor each time. mounterd's walk below the prefix crosses no mount point: such a
 * target is refused at once. Here the daemon is stopped (SIGSTOP), which answers nobody.
 */
class WalkAcrossMountsTest extends OnMounterNode {

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "tmpfs", "--allow-fstype", "fuse.bindfs");
    }

    @Test
    void aTargetInsideAFuseMountWhoseDaemonDoesNotAnswerIsRefusedAtOnce() {
        Path source = node.node().newDirectory("silent-source");
        Path userFs = node.node().newVolumeDir("user-fuse");
        node.container().run("mkdir", "-p", source.resolve("inner").toString());
        node.container().run("bindfs", source.toString(), userFs.toString());
        ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals("bindfs") && p.cmdline().contains(userFs.toString()) && !p.isZombie())
                .orElseThrow();
        Command.of("kill", "-STOP", Long.toString(daemon.pid())).run();
        try {
            long start = System.nanoTime();
            Reply mount = callWithin(new Request.Mount(1, "tmpfs", userFs.resolve("inner").toString(), "tmpfs", 0,
                    "size=1m", -1));
            Reply umount = callWithin(new Request.Umount(2, userFs.resolve("inner").toString(), 0));
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertEquals(Errno.EPERM, mount.status(), mount.toString());
            assertTrue(mount.message().contains("crosses a mount point below it"), mount.message());
            assertEquals(Errno.EPERM, umount.status(), umount.toString());
            assertTrue(millis < 2_000, "answered after " + millis + " ms");
            Reply status = callWithin(new Request.Status(3));
            assertEquals(0, status.status(), "mounterd still answers: " + status);
        } finally {
            Command.of("kill", "-CONT", Long.toString(daemon.pid())).run();
        }
        node.host().run("umount", userFs.toString());
        assertFalse(node.host().isMounted(userFs));
    }

    /** As {@link #ask}, giving up after 5 s: a request that waits on the stopped daemon would never end. */
    private Reply callWithin(Request request) {
        try (MounterClient client = MounterClient.connect(node.mounterd().socketFromOutside().toString(),
                Duration.ofSeconds(5))) {
            return client.call(request, -1);
        }
    }
}

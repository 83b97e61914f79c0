package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * The checks every forwarded FUSE mount must pass: it is in the host namespace and not in
 * the container's; a file written through it on the host reaches the backend and reads
 * back; mounterd recorded it; its daemon runs in the container's PID namespace; and
 * unmounting on the host, as kubelet would, makes the daemon exit.
 */
final class ServedMount {
    private static final Duration DAEMON_EXIT = Duration.ofSeconds(15);

    private ServedMount() {
    }

    /**
     * @param daemon the FUSE daemon's comm (glusterfs, sshfs, bindfs)
     * @param backend the directory where files written through the mount land
     */
    static void check(MounterNode node, Path target, String daemon, Path backend) throws IOException {
        HostNamespace host = node.host();
        assertTrue(host.isMounted(target), () -> "not in the host namespace: " + target + "\n" + host.mountinfo());
        if (node.kubeletDirFollowsHost()) {
            // the container sees the host's mount through HostToContainer: the same filesystem
            assertEquals(host.mountinfo().at(target).orElseThrow().device(),
                    node.container().mountinfo().at(target).orElseThrow().device(),
                    "the container's view is the host's mount, propagated");
        } else {
            assertFalse(node.container().isMounted(target), "also mounted in the container: " + target);
        }

        String name = "round-trip-" + UUID.randomUUID() + ".txt";
        String content = "written on the host through " + daemon + " " + UUID.randomUUID();
        host.run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", content, target.resolve(name).toString());
        assertEquals(content, Files.readString(backend.resolve(name)), "the backend holds what the host wrote");
        assertEquals(content, host.run("cat", target.resolve(name).toString()).stdout(), "reads back on the host");

        ProcessInfo served = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals(daemon) && p.cmdline().contains(target.toString()) && !p.isZombie())
                .orElseThrow(() -> new AssertionError("no live " + daemon + " serving " + target
                        + " in the container's PID namespace: " + node.container().processes()));

        try (MounterClient client = node.mounterd().client()) {
            MountEntry recorded = client.list().stream().filter(e -> e.target().equals(target.toString())).findFirst()
                    .orElseThrow(() -> new AssertionError("mounterd has no record of " + target));
            assertEquals(Processes.pidInOwnNamespace(served.pid()), recorded.daemonPid(),
                    "mounterd names the serving daemon (pids as the container sees them)");
        }

        host.run("umount", target.toString());
        assertFalse(host.isMounted(target), "unmounted on the host");
        assertTrue(Processes.waitForExit(served.pid(), DAEMON_EXIT),
                daemon + " (pid " + served.pid() + ") still runs " + DAEMON_EXIT + " after the host unmounted");
    }
}

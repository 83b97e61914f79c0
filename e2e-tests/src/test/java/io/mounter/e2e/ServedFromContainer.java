package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.node.CommandResult;
import io.mounter.node.HostNamespace;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The checks every mount made through the image must pass: it is in the host namespace
 * and not in the container's; a file written through it on the host reaches the backend
 * and reads back; its FUSE daemon runs in the container's PID namespace and
 * {@code mounterctl list} in the container names it; and once the host unmounts it, as
 * kubelet does, the daemon exits and leaves no zombie (mounter-init, the container's init, reaps it).
 */
final class ServedFromContainer {
    private static final Duration DAEMON_EXIT = Duration.ofSeconds(15);
    private static final Duration REAPING = Duration.ofSeconds(5);

    private ServedFromContainer() {
    }

    /**
     * @param daemon  the FUSE daemon's comm (glusterfs, sshfs)
     * @param backend the directory where files written through the mount land
     */
    static void check(DockerNode node, Path target, String daemon, Path backend) throws IOException {
        HostNamespace host = node.host();
        MounterContainer container = node.container();
        assertTrue(host.isMounted(target), () -> "not in the host namespace: " + target + "\n" + host.mountinfo());
        assertFalse(container.isMounted(target), () -> "also mounted in the container: " + target);

        String name = "round-trip-" + UUID.randomUUID() + ".txt";
        String content = "written on the host through " + daemon + " " + UUID.randomUUID();
        host.run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", content, target.resolve(name).toString());
        assertEquals(content, Files.readString(backend.resolve(name)), "the backend holds what the host wrote");
        assertEquals(content, host.run("cat", target.resolve(name).toString()).stdout(), "reads back on the host");

        ProcessInfo served = Processes.findInPidNamespace(container.pidNamespaceInode(),
                        p -> p.comm().equals(daemon) && p.cmdline().contains(target.toString()) && !p.isZombie())
                .orElseThrow(() -> new AssertionError("no live " + daemon + " serving " + target
                        + " in the container's PID namespace: " + container.processes()));
        assertEquals(Processes.pidNamespaceInode(container.initPid()), Processes.pidNamespaceInode(served.pid()),
                "the daemon shares the PID namespace of the container's init");
        assertEquals(Processes.pidInOwnNamespace(served.pid()), listedDaemonPid(container, target),
                "mounterctl list names the serving daemon (pids as the container sees them)");

        host.run("umount", target.toString());
        assertFalse(host.isMounted(target), "unmounted on the host");
        assertTrue(Processes.waitForExit(served.pid(), DAEMON_EXIT),
                daemon + " (pid " + served.pid() + ") still runs " + DAEMON_EXIT + " after the host unmounted");
        assertNoZombies(container);
    }

    /** The daemon pid {@code mounterctl list -o json} gives for the target, run in the container. */
    static long listedDaemonPid(MounterContainer container, Path target) throws IOException {
        CommandResult list = container.exec("mounterctl", "list", "-o", "json").requireSuccess();
        for (Object row : JSON.std.listFrom(list.stdout())) {
            Map<?, ?> entry = (Map<?, ?>) row;
            if (target.toString().equals(entry.get("target"))) {
                return ((Number) entry.get("daemonPid")).longValue();
            }
        }
        throw new AssertionError("mounterctl list has no mount at " + target + ":\n" + list.stdout());
    }

    /** Waits a little for the init to reap, then fails naming every zombie left in the container. */
    static void assertNoZombies(MounterContainer container) {
        long deadline = System.nanoTime() + REAPING.toNanos();
        List<ProcessInfo> zombies = Processes.zombiesIn(container.pidNamespaceInode());
        while (!zombies.isEmpty() && System.nanoTime() - deadline < 0) {
            sleep(Duration.ofMillis(50));
            zombies = Processes.zombiesIn(container.pidNamespaceInode());
        }
        assertEquals(List.of(), zombies, "zombies in the container after " + REAPING);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}

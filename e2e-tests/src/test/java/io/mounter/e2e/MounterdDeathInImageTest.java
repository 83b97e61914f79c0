package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.e2e.MixedMounts.Served;
import io.mounter.node.CommandResult;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * mounterd is the image's main process, yet its death or hang ends no FUSE daemon:
 * mounter-init, the container's PID 1, starts it again and the container keeps running.
 * Killed with SIGKILL while 20 mounts (bindfs, sshfs, glusterfs) serve the host, and
 * stopped with SIGSTOP (a hang the watchdog mends): every mount serves throughout, the
 * container's init stays the same, and the new mounterd lists every mount.
 */
class MounterdDeathInImageTest extends OnDockerNode {
    private static final Duration BACK_WITHIN = Duration.ofSeconds(5);

    @Test
    void killNineOfMounterdEndsNoMountAndItComesBackWithAllOfThem() throws Exception {
        List<Served> mounts = MixedMounts.mountTwenty(node, "death");
        long init = node.container().initPid();
        ProcessInfo mounterd = mounterd();

        node.host().run("kill", "-KILL", Long.toString(mounterd.pid()));

        long deadline = System.nanoTime() + BACK_WITHIN.toNanos();
        ProcessInfo again = null;
        while (again == null) {
            MixedMounts.assertAllServe(node, mounts); // throughout: while mounterd is gone and while it starts
            again = answeringMounterd(mounterd.pid());
            assertTrue(again != null || System.nanoTime() < deadline,
                    "mounterd not back within " + BACK_WITHIN + "\n" + node.container().logs());
        }
        assertEquals(init, node.container().initPid());
        assertTrue(isRunning(), "the container ended with mounterd\n" + node.container().logs());
        Set<String> listed = listedTargets();
        assertTrue(listed.containsAll(mounts.stream().map(m -> m.target().toString()).toList()),
                "the new mounterd lists every mount: " + listed);
        MixedMounts.assertAllServe(node, mounts);
        assertTrue(node.container().logs().contains("killed by signal 9"), node.container().logs());
        MixedMounts.unmountAll(node, mounts);
    }

    @Test
    void aHungMounterdIsKilledAndStartedAgainWithoutEndingAMount() throws Exception {
        Path source = node.newDirectory("hung-source");
        Served mount = MixedMounts.bindfs(node, source, "hung");
        ProcessInfo mounterd = mounterd();
        // a mounterd that answers is left alone over several checks
        Thread.sleep(DockerNode.WATCHDOG_PERIOD.multipliedBy(3).toMillis());
        assertEquals(mounterd.pid(), mounterd().pid(), "the watchdog killed a mounterd that answered");

        node.host().run("kill", "-STOP", Long.toString(mounterd.pid()));

        // each failed check waits out its timeout, then the period
        Duration mend = DockerNode.WATCHDOG_PERIOD.plus(DockerNode.WATCHDOG_TIMEOUT)
                .multipliedBy(DockerNode.WATCHDOG_FAILURES + 1).plus(BACK_WITHIN);
        long deadline = System.nanoTime() + mend.toNanos();
        ProcessInfo again = null;
        while (again == null) {
            MixedMounts.assertAllServe(node, List.of(mount));
            again = answeringMounterd(mounterd.pid());
            assertTrue(again != null || System.nanoTime() < deadline,
                    "a stopped mounterd not replaced within " + mend + "\n" + node.container().logs());
            Thread.sleep(200);
        }
        assertTrue(isRunning());
        assertTrue(node.container().logs().contains("STATUS checks in a row: killing it"), node.container().logs());
        assertTrue(listedTargets().contains(mount.target().toString()), "the new mounterd lists the mount");
        MixedMounts.unmountAll(node, List.of(mount));
    }

    private ProcessInfo mounterd() {
        return Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                        p -> p.commandLine().contains("io.mounter.daemon.MounterDaemon") && !p.isZombie())
                .orElseThrow(() -> new AssertionError("no mounterd in the container: " + node.container().processes()));
    }

    /** A mounterd other than {@code old} that answers STATUS, or null. */
    private ProcessInfo answeringMounterd(long old) {
        var found = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.commandLine().contains("io.mounter.daemon.MounterDaemon") && !p.isZombie() && p.pid() != old);
        if (found.isEmpty() || !node.container().exec("mounterctl", "status").succeeded()) {
            return null;
        }
        assertNotEquals(old, found.get().pid());
        return found.get();
    }

    private boolean isRunning() {
        return DockerEngine.docker("inspect", "--format", "{{.State.Running}}", node.container().id()).run()
                .stdout().strip().equals("true");
    }

    private Set<String> listedTargets() throws IOException {
        CommandResult list = node.container().exec("mounterctl", "list", "-o", "json").requireSuccess();
        Set<String> targets = new TreeSet<>();
        for (Object row : JSON.std.listFrom(list.stdout())) {
            targets.add(String.valueOf(((Map<?, ?>) row).get("target")));
        }
        return targets;
    }

}

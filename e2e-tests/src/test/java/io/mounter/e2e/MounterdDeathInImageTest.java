package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.node.CommandResult;
import io.mounter.node.GlusterVolume;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import io.mounter.node.SshServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
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
    private static final int BINDFS = 14;
    private static final int SSHFS = 4;
    private static final int GLUSTERFS = 2;

    /** A mount made through the image, with a file written through it on the host. */
    private record Served(Path target, String fileName, String content) {
    }

    @Test
    void killNineOfMounterdEndsNoMountAndItComesBackWithAllOfThem() throws Exception {
        List<Served> mounts = mountTwenty();
        long init = node.container().initPid();
        ProcessInfo mounterd = mounterd();

        node.host().run("kill", "-KILL", Long.toString(mounterd.pid()));

        long deadline = System.nanoTime() + BACK_WITHIN.toNanos();
        ProcessInfo again = null;
        while (again == null) {
            assertAllServe(mounts); // throughout: while mounterd is gone and while it starts
            again = answeringMounterd(mounterd.pid());
            assertTrue(again != null || System.nanoTime() < deadline,
                    "mounterd not back within " + BACK_WITHIN + "\n" + node.container().logs());
        }
        assertEquals(init, node.container().initPid());
        assertTrue(isRunning(), "the container ended with mounterd\n" + node.container().logs());
        Set<String> listed = listedTargets();
        assertTrue(listed.containsAll(targets(mounts)), "the new mounterd lists every mount: " + listed);
        assertAllServe(mounts);
        assertTrue(node.container().logs().contains("killed by signal 9"), node.container().logs());
        unmountAll(mounts);
    }

    @Test
    void aHungMounterdIsKilledAndStartedAgainWithoutEndingAMount() throws Exception {
        Path source = node.newDirectory("hung-source");
        Served mount = bindfs(source, 0);
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
            assertAllServe(List.of(mount));
            again = answeringMounterd(mounterd.pid());
            assertTrue(again != null || System.nanoTime() < deadline,
                    "a stopped mounterd not replaced within " + mend + "\n" + node.container().logs());
            Thread.sleep(200);
        }
        assertTrue(isRunning());
        assertTrue(node.container().logs().contains("STATUS checks in a row: killing it"), node.container().logs());
        assertTrue(listedTargets().contains(mount.target().toString()), "the new mounterd lists the mount");
        unmountAll(List.of(mount));
    }

    private List<Served> mountTwenty() throws IOException {
        List<Served> mounts = new ArrayList<>();
        for (int i = 0; i < BINDFS; i++) {
            mounts.add(bindfs(node.newDirectory("bindfs-source"), i));
        }
        SshServer ssh = node.ssh();
        for (int i = 0; i < SSHFS; i++) {
            Path target = node.newVolumeDir("sshfs-" + i);
            node.container().exec("mounterctl", "mount", "-t", "fuse.sshfs", "-o", ssh.sshfsOptions(),
                    ssh.source(), target.toString()).requireSuccess();
            mounts.add(writeThrough(target));
        }
        for (int i = 0; i < GLUSTERFS; i++) {
            GlusterVolume volume = node.gluster().createVolume("e2e-death-" + i);
            Path target = node.newVolumeDir("kubernetes.io~glusterfs/death-" + i);
            node.container().exec("mount", "-t", "glusterfs", volume.source(), target.toString()).requireSuccess();
            mounts.add(writeThrough(target));
        }
        return mounts;
    }

    private Served bindfs(Path source, int i) throws IOException {
        Path target = node.newVolumeDir("bindfs-" + i);
        node.container().exec("bindfs", source.toString(), target.toString()).requireSuccess();
        return writeThrough(target);
    }

    private Served writeThrough(Path target) {
        assertTrue(node.host().isMounted(target), () -> "not mounted on the host: " + target);
        Served served = new Served(target, "probe-" + UUID.randomUUID() + ".txt", "through " + target);
        node.host().run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", served.content(),
                target.resolve(served.fileName()).toString());
        return served;
    }

    /** Reads every probe file back on the host in one process, failing on the first that does not read. */
    private void assertAllServe(List<Served> mounts) {
        StringBuilder script = new StringBuilder("set -e\n");
        List<String> args = new ArrayList<>(List.of("sh", "-c", "", "sh"));
        for (int i = 0; i < mounts.size(); i++) {
            Served m = mounts.get(i);
            String file = "${" + (2 * i + 1) + "}"; // ${10}, not $10: that is $1 then 0
            String content = "${" + (2 * i + 2) + "}";
            script.append("[ \"$(cat \"").append(file).append("\")\" = \"").append(content)
                    .append("\" ] || { echo \"does not serve: ").append(file).append("\" >&2; exit 1; }\n");
            args.add(m.target().resolve(m.fileName()).toString());
            args.add(m.content());
        }
        args.set(2, script.toString());
        CommandResult read = node.host().exec(args.toArray(String[]::new));
        assertTrue(read.succeeded(), read::describe);
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

    private static Set<String> targets(List<Served> mounts) {
        Set<String> targets = new TreeSet<>();
        mounts.forEach(m -> targets.add(m.target().toString()));
        return targets;
    }

    private void unmountAll(List<Served> mounts) {
        Map<Path, CommandResult> failed = new LinkedHashMap<>();
        for (Served m : mounts) {
            CommandResult umount = node.host().exec("umount", m.target().toString());
            if (!umount.succeeded()) {
                failed.put(m.target(), umount);
            }
        }
        assertEquals(Map.of(), failed);
        assertTrue(mounts.stream().noneMatch(m -> Files.exists(m.target().resolve(m.fileName()))));
    }
}

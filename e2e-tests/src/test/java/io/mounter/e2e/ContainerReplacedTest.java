package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.e2e.MixedMounts.Served;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.node.CommandResult;
import io.mounter.node.PodNamespace;
import io.mounter.node.ProcessInfo;
import io.mounter.node.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Dead mounts brought back in the real image, on the host and inside running pods, which
 * are not restarted: the container replaced, as a static pod edit or an image update does,
 * which ends every FUSE daemon in it (the network and the servers stay, as on a node); a
 * FUSE daemon killed in the container; and a replacement while the server is down. The new
 * container's mounterd reads the state kept on the host, runs each dead mount's daemon
 * command again and puts the fresh mount in place of the dead one.
 */
class ContainerReplacedTest extends OnDockerNode {
    private static final Duration BACK_WITHIN = Duration.ofSeconds(10);
    private static final int PODS = 3;

    /** Where each mount's file is read inside a pod: a private bind of its volume taken before. */
    private record PodView(Map<Path, Path> binds, Map<Path, String> files) {
        static PodView of(DockerNode node, List<Served> mounts) {
            Map<Path, Path> binds = new LinkedHashMap<>();
            Map<Path, String> files = new LinkedHashMap<>();
            for (Served mount : mounts) {
                Path inPod = node.newDirectory("pod-data");
                binds.put(inPod, mount.target());
                files.put(inPod.resolve(mount.fileName()), mount.content());
            }
            return new PodView(binds, files);
        }
    }

    @Test
    void twentyMountsServeAgainOnTheHostAndInThreeRunningPodsAfterTheContainerIsReplaced() throws IOException {
        List<Served> mounts = MixedMounts.mountTwenty(node, "replaced");
        PodView view = PodView.of(node, mounts);
        awaitCommandsSaved(mounts);
        List<PodNamespace> pods = new ArrayList<>();
        try {
            for (int i = 0; i < PODS; i++) {
                pods.add(PodNamespace.start(node.host(), view.binds(), "private",
                        node.logDir().resolve("pod-" + i + ".log")));
            }
            Map<Path, DeviceNumber> dead = new LinkedHashMap<>();
            mounts.forEach(m -> dead.put(m.target(), deviceAt(m.target())));

            long replaced = System.nanoTime();
            node.restartContainer();
            long started = System.nanoTime(); // the new container's mounterd answers
            long deadline = started + BACK_WITHIN.toNanos();

            await(deadline, () -> mounts.stream().allMatch(m -> !dead.get(m.target()).equals(deviceOrNull(m.target())))
                    && MixedMounts.readAll(node.host()::exec, MixedMounts.onTheHost(mounts)).succeeded(),
                    "all " + mounts.size() + " served again on the host\n" + node.container().logs());
            for (PodNamespace pod : pods) {
                await(deadline, () -> MixedMounts.readAll(pod::exec, view.files()).succeeded(),
                        "all served again in " + pod + "\n" + node.container().logs());
            }
            long millis = (System.nanoTime() - replaced) / 1_000_000;
            long afterStart = (System.nanoTime() - started) / 1_000_000;
            for (Served mount : mounts) {
                assertEquals(1, node.host().mountinfo().entries().stream()
                        .filter(e -> e.mountPoint().equals(mount.target().toString())).count(), "nothing stacked");
            }
            for (Map.Entry<Path, Path> bind : view.binds().entrySet()) {
                pods.get(0).run("sh", "-c", "echo after > \"$1\"", "sh", bind.getKey().resolve("after.txt").toString());
                assertEquals("after\n", node.host().run("cat", bind.getValue().resolve("after.txt").toString()).stdout(),
                        "written through the pod reaches the volume");
            }
            System.out.println(mounts.size() + " mounts (bindfs, sshfs, glusterfs) and " + PODS + " pods serving again "
                    + millis + " ms after the container was replaced, " + afterStart
                    + " ms after the new one answered");
        } finally {
            pods.forEach(PodNamespace::close);
        }
        MixedMounts.unmountAll(node, mounts);
    }

    /** One daemon killed in the image: its mount serves again on the host and in a running pod; the others are untouched. */
    @Test
    void aKilledDaemonsMountServesAgainWithinFiveSecondsOnTheHostAndInAPod() throws IOException {
        Served victim = MixedMounts.bindfs(node, node.newDirectory("killed-source"), "killed-0");
        Served other = MixedMounts.bindfs(node, node.newDirectory("killed-source"), "killed-1");
        List<Served> mounts = List.of(victim, other);
        PodView view = PodView.of(node, mounts);
        awaitCommandsSaved(mounts);
        try (PodNamespace pod = PodNamespace.start(node.host(), view.binds(), "private",
                node.logDir().resolve("pod-k.log"))) {
            DeviceNumber dead = deviceAt(victim.target());
            DeviceNumber untouched = deviceAt(other.target());
            ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                    p -> p.comm().equals("bindfs") && p.cmdline().contains(victim.target().toString())
                            && !p.isZombie()).orElseThrow();

            ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);

            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            await(deadline, () -> servesAgain(victim, dead), "served again on the host\n" + node.container().logs());
            await(deadline, () -> MixedMounts.readAll(pod::exec, view.files()).succeeded(),
                    "served again in the pod\n" + node.container().logs());
            assertEquals(untouched, deviceAt(other.target()), "the other mount is untouched");
        }
        MixedMounts.unmountAll(node, mounts);
    }

    /**
     * The server is down while the container is replaced: the mount stays dead, never bare,
     * on the host and in the pod, reported as recovering in mounterctl list, /healthz and
     * /metrics; once the server is back it serves again, and is reported so.
     */
    @Test
    void aMountWhoseServerIsDownStaysDeadAndReportedUntilTheServerIsBack() throws IOException {
        Served mount = MixedMounts.sshfs(node, "server-down");
        PodView view = PodView.of(node, List.of(mount));
        Path inPod = view.binds().keySet().iterator().next();
        awaitCommandsSaved(List.of(mount));
        try (PodNamespace pod = PodNamespace.start(node.host(), view.binds(), "private",
                node.logDir().resolve("pod-down.log"))) {
            DeviceNumber dead = deviceAt(mount.target());
            // sshfs would notice its server go and unmount itself: the server goes while no
            // daemon runs, between the old container and the new
            node.removeContainer();
            node.stopSsh();
            node.startContainer();

            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            await(deadline, () -> listed(mount.target()).get("stateReason").toString().contains("next try in"),
                    "reported as recovering after a failed try\n" + node.container().logs());
            Map<?, ?> row = listed(mount.target());
            assertEquals("recovering", row.get("state"), row.toString());
            assertTrue(row.get("stateReason").toString().startsWith("its command exited with"), row.toString());
            assertEquals(dead, deviceAt(mount.target()), "the dead mount stays on the target: never a bare directory");
            assertNotConnected(node.host().exec("stat", mount.target().toString()));
            assertNotConnected(pod.exec("ls", inPod.toString()));
            String healthz = http("/healthz");
            assertTrue(healthz.startsWith("HTTP/1.1 503") && healthz.contains("degraded: mounts: 1 recovering"), healthz);
            assertTrue(http("/metrics").contains("mounter_mounts{state=\"recovering\",} 1.0"), http("/metrics"));

            node.ssh(); // the server is back
            long back = System.nanoTime();
            // retried after 1, 2, 4, 8 ... s: the next try comes at most a wait as long as the elapsed time later
            await(back + Duration.ofSeconds(60).toNanos(), () -> servesAgain(mount, dead),
                    "served again once the server is back\n" + node.container().logs());
            await(back + Duration.ofSeconds(60).toNanos(),
                    () -> MixedMounts.readAll(pod::exec, view.files()).succeeded(), "served again in the pod");
            assertEquals("serving", listed(mount.target()).get("state"));
            assertTrue(http("/healthz").startsWith("HTTP/1.1 200"), http("/healthz"));
            System.out.println("server down during the replacement: serving again "
                    + (System.nanoTime() - back) / 1_000_000 + " ms after the server came back");
        }
        MixedMounts.unmountAll(node, List.of(mount));
    }

    private static void assertNotConnected(CommandResult result) {
        assertFalse(result.succeeded(), result::describe);
        assertTrue(result.stderr().contains("Transport endpoint is not connected"), result::describe);
    }

    /** {@code GET path} on mounterd's status endpoint (127.0.0.1:9477 of the pod's network), the whole response. */
    private String http(String path) {
        return node.container().exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9477 && printf 'GET " + path
                + " HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3").requireSuccess().stdout();
    }

    /** The row of {@code mounterctl list -o json} for the target. */
    private Map<?, ?> listed(Path target) {
        String json = node.container().exec("mounterctl", "list", "-o", "json").requireSuccess().stdout();
        try {
            for (Object row : JSON.std.listFrom(json)) {
                if (target.toString().equals(((Map<?, ?>) row).get("target"))) {
                    return (Map<?, ?>) row;
                }
            }
        } catch (IOException e) {
            throw new AssertionError("mounterctl list -o json gave no JSON: " + json, e);
        }
        throw new AssertionError("mounterctl list has no mount at " + target + ":\n" + json + "\n"
                + node.container().logs());
    }

    private void awaitCommandsSaved(List<Served> mounts) {
        Path state = node.stateDir().resolve("mounts.json");
        await(System.nanoTime() + BACK_WITHIN.toNanos(), () -> {
            try {
                Object commands = Files.exists(state) ? JSON.std.mapFrom(Files.readString(state)).get("commands") : null;
                return commands instanceof Map<?, ?> saved
                        && mounts.stream().allMatch(m -> saved.containsKey(m.target().toString()));
            } catch (IOException e) {
                return false;
            }
        }, "the daemons' commands saved in " + state);
    }

    /** Another filesystem than the dead one on the target, and the file written before reads back. */
    private boolean servesAgain(Served mount, DeviceNumber dead) {
        DeviceNumber now = deviceOrNull(mount.target());
        if (now == null || now.equals(dead)) {
            return false;
        }
        CommandResult read = node.host().exec("cat", mount.file().toString());
        return read.succeeded() && read.stdout().equals(mount.content());
    }

    private DeviceNumber deviceOrNull(Path target) {
        return node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElse(null);
    }

    private DeviceNumber deviceAt(Path target) {
        return node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElseThrow();
    }

    private static void await(long deadline, BooleanSupplier condition, String what) {
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not in time: " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

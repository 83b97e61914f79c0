package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.MountState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A FUSE daemon that dies leaves its mount dead ("Transport endpoint is not connected").
 * mounterd never detaches it, which would leave a bare directory for a restarted pod
 * container to bind and write the node's disk through: it runs the daemon's command again,
 * puts the fresh mount in place of the dead one on the same target (nothing stacked, never
 * the bare directory in between), and replaces the copies that running pods hold. Every
 * other mount is left alone.
 */
class DaemonDeathTest extends OnMounterNode {
    private static final Duration LIMIT = Duration.ofSeconds(5);

    @Test
    void aKilledDaemonsMountServesAgainWithinFiveSecondsOnTheHostAndInPods() throws IOException {
        LiveMount bindfs = LiveMount.bindfs(node, "dies-bindfs");
        LiveMount sshfs = LiveMount.sshfs(node, "dies-sshfs");
        List<LiveMount> others = List.of(LiveMount.bindfs(node, "lives-bindfs"), LiveMount.sshfs(node, "lives-sshfs"));

        for (LiveMount victim : List.of(bindfs, sshfs)) {
            Path inPod = node.node().newDirectory("pod-" + victim.daemonComm());
            String before = "written before the death " + UUID.randomUUID();
            Files.writeString(victim.backend().resolve("before.txt"), before);
            try (PodNamespace pod = PodNamespace.start(node.host(), Map.of(inPod, victim.target()), "private",
                    node.node().logDir().resolve("pod-" + UUID.randomUUID() + ".log"))) {
                DeviceNumber dead = deviceAt(victim.target());
                ProcessInfo daemon = victim.daemon(node);
                long killed = System.nanoTime();
                ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly); // kill -9 from the root namespace

                LiveMount.await(() -> !dead.equals(deviceAtOrNull(victim.target())), LIMIT,
                        victim.target() + " served again after its " + victim.daemonComm() + " died\n"
                                + node.mounterd().log());
                long millis = (System.nanoTime() - killed) / 1_000_000;
                assertEquals(1, victim.mountsOnHost(node), "one mount on the target, nothing stacked");
                assertEquals(before, node.host().run("cat", victim.target().resolve("before.txt").toString()).stdout());
                victim.roundTrip(node);

                LiveMount.await(() -> pod.exec("cat", inPod.resolve("before.txt").toString()).stdout().equals(before),
                        LIMIT, "the pod's copy repaired\n" + node.mounterd().log());
                assertTrue(pod.mountinfo().entries().stream().noneMatch(e -> e.device().equals(dead)),
                        "the dead mount is gone from the pod:\n" + pod.mountinfo());

                MountEntry listed = LiveMount.listed(LiveMount.list(node), victim.target());
                assertNotEquals(0, listed.daemonPid(), "listed with its new daemon");
                assertNotEquals(Processes.pidInOwnNamespace(daemon.pid()), listed.daemonPid());
                assertEquals(1, MounterdLog.of(node).lines("respawned").stream()
                        .filter(line -> victim.target().toString().equals(line.get("target"))).count(),
                        node.mounterd().log());
                System.out.println(victim.daemonComm() + " daemon killed: serving again after " + millis + " ms");
            }
        }

        List<MountEntry> listed = LiveMount.list(node);
        for (LiveMount other : others) {
            assertEquals(1, other.mountsOnHost(node), "untouched: " + other.target());
            assertEquals(other.daemonPidInContainer(node), LiveMount.listed(listed, other.target()).daemonPid());
            other.roundTrip(node);
        }
        assertEquals(4, listed.size(), listed.toString());
        assertTrue(MounterdLog.of(node).lines("detached").isEmpty(), "nothing was detached:\n" + node.mounterd().log());
        for (LiveMount all : List.of(bindfs, sshfs, others.get(0), others.get(1))) {
            node.host().run("umount", all.target().toString()); // as kubelet does; the daemons then exit
        }
    }

    /**
     * A daemon whose command cannot work again (its source is gone): the mount stays dead on
     * its target, never a bare directory, reported as recovering with why; kubelet's own
     * unmount of the dead mount works, and mounterd then forgets it and stops trying.
     */
    @Test
    void aDeadMountThatCannotComeBackStaysDeadReportedAndKubeletsUnmountRemovesIt() throws IOException {
        LiveMount mount = LiveMount.bindfs(node, "source-goes");
        LiveMount.await(() -> LiveMount.stateFile(node).get("commands") instanceof Map<?, ?> saved
                && saved.containsKey(mount.target().toString()), LIMIT, "its command saved");
        DeviceNumber dead = deviceAt(mount.target());
        ProcessInfo daemon = mount.daemon(node);
        Files.move(mount.backend(), mount.backend().resolveSibling("moved-" + UUID.randomUUID()));
        ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);

        LiveMount.await(() -> LiveMount.listed(LiveMount.list(node), mount.target()).stateReason()
                .startsWith("its command exited with"), LIMIT, "reported after a failed try\n" + node.mounterd().log());
        MountEntry listed = LiveMount.listed(LiveMount.list(node), mount.target());
        assertEquals(MountState.RECOVERING, listed.state(), listed.toString());
        assertEquals(dead, deviceAt(mount.target()), "the dead mount stays on its target");
        CommandResult stat = node.host().exec("stat", mount.target().toString());
        assertTrue(!stat.succeeded() && stat.stderr().contains("Transport endpoint is not connected"), stat.describe());

        node.host().run("umount", mount.target().toString()); // kubelet's unmount of the dead volume

        LiveMount.await(() -> LiveMount.list(node).stream().noneMatch(e -> e.target().equals(mount.target().toString())),
                LIMIT, "forgotten after the unmount");
        long tries = MounterdLog.of(node).lines("not brought back; trying again later").size();
        Processes.sleep(Duration.ofSeconds(3)); // a retry was due within 1 + 2 s of the first
        assertEquals(tries, MounterdLog.of(node).lines("not brought back; trying again later").size(),
                "no tries once it was unmounted\n" + node.mounterd().log());
        assertEquals(0, mount.mountsOnHost(node));
    }

    private DeviceNumber deviceAt(Path target) {
        return node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElseThrow();
    }

    private DeviceNumber deviceAtOrNull(Path target) {
        return node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElse(null);
    }
}

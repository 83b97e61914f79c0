package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.MountEntry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * mounterd killed with SIGKILL (a crash, the OOM killer): the mounts it made live on, served
 * by their daemons, and the restarted mounterd knows each of them again, once.
 */
class CrashRestartTest {

    @Test
    void aKilledMounterdLosesNoMountAndTheRestartedOneKnowsThemAll() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            List<LiveMount> mounts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                mounts.add(i % 2 == 0 ? LiveMount.bindfs(node, "bindfs-" + i) : LiveMount.sshfs(node, "sshfs-" + i));
            }
            LiveMount.await(() -> LiveMount.savedMounts(node).size() == 20, Duration.ofSeconds(5), "20 mounts saved");

            node.mounterd().kill();
            for (LiveMount mount : mounts) {
                mount.roundTrip(node); // served while mounterd is dead
            }
            long start = System.nanoTime();
            node.restartMounterd();
            long restartMillis = (System.nanoTime() - start) / 1_000_000;

            List<MountEntry> listed = LiveMount.list(node);
            assertEquals(20, listed.size(), "no record lost, none twice: " + listed);
            Set<String> targets = mounts.stream().map(m -> m.target().toString()).collect(Collectors.toSet());
            assertEquals(targets, listed.stream().map(MountEntry::target).collect(Collectors.toSet()));
            for (LiveMount mount : mounts) {
                MountEntry entry = LiveMount.listed(listed, mount.target());
                assertNotEquals(0, entry.daemonPid(), "a daemon for " + mount.target());
                assertEquals(mount.daemonPidInContainer(node), entry.daemonPid(), "the serving process: " + mount.target());
                assertNotEquals(0, entry.requesterPid(), "restored from the state file, not adopted: " + entry);
                assertEquals(1, mount.mountsOnHost(node), "mounted once, never again: " + mount.target());
                mount.roundTrip(node);
            }
            assertEquals(2, ((Number) LiveMount.stateFile(node).get("starts")).intValue(), "the start is counted");
            assertTrue(MounterdLog.of(node).lines("table restored").stream()
                    .anyMatch(line -> "20".equals(line.get("known")) && "0".equals(line.get("adopted"))),
                    node.mounterd().log());
            System.out.println("restart to serving with 20 mounts: " + restartMillis + " ms");
        }
    }

    @Test
    void mountsMadeTooLateForTheStateFileAreAdopted() throws Exception {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            List<LiveMount> mounts = List.of(LiveMount.bindfs(node, "late-a"), LiveMount.sshfs(node, "late-b"),
                    LiveMount.bindfs(node, "late-c"));
            LiveMount.await(() -> LiveMount.savedMounts(node).size() == 3, Duration.ofSeconds(5), "3 mounts saved");
            node.mounterd().kill();
            // as if mounterd had died within the write-behind window, before the state had them
            Files.delete(node.mounterd().stateDirFromOutside().resolve("mounts.json"));
            node.restartMounterd();

            List<MountEntry> listed = LiveMount.list(node);
            assertEquals(3, listed.size(), listed.toString());
            for (LiveMount mount : mounts) {
                MountEntry entry = LiveMount.listed(listed, mount.target());
                assertEquals(0, entry.requesterPid(), "adopted: " + entry);
                assertEquals(mount.daemonPidInContainer(node), entry.daemonPid());
                assertEquals(1, mount.mountsOnHost(node));
            }
            LiveMount.await(() -> LiveMount.savedMounts(node).size() == 3, Duration.ofSeconds(5),
                    "the adopted mounts are saved");
            assertEquals(3, MounterdLog.of(node).lines("adopted").size(), node.mounterd().log());
        }
    }

    @Test
    void whatHappenedWhileMounterdWasDownIsSeenAtTheRestart() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            LiveMount unmounted = LiveMount.bindfs(node, "unmounted-while-down");
            LiveMount dead = LiveMount.bindfs(node, "daemon-died-while-down");
            LiveMount kept = LiveMount.sshfs(node, "kept");
            LiveMount.await(() -> LiveMount.savedMounts(node).size() == 3, Duration.ofSeconds(5), "3 mounts saved");
            LiveMount.await(() -> savedCommands(node).containsKey(dead.target().toString()), Duration.ofSeconds(5),
                    "the daemon's command saved");
            node.mounterd().kill();
            node.host().run("umount", unmounted.target().toString()); // kubelet, meanwhile
            ProcessInfo daemon = dead.daemon(node);
            ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);
            assertTrue(Processes.waitForExit(daemon.pid(), Duration.ofSeconds(5)));
            assertTrue(node.host().isMounted(dead.target()), "a dead FUSE mount stays until someone removes it");

            DeviceNumber deadDevice = node.host().mountinfo().at(dead.target()).orElseThrow().device();

            node.restartMounterd();
            // never detached: its saved command runs again and the fresh mount takes its place
            LiveMount.await(() -> node.host().mountinfo().at(dead.target())
                            .map(e -> !e.device().equals(deadDevice)).orElse(false),
                    Duration.ofSeconds(10), "the mount whose daemon died serves again\n" + node.mounterd().log());
            assertEquals(1, dead.mountsOnHost(node), "nothing stacked");
            dead.roundTrip(node);
            LiveMount.await(() -> LiveMount.list(node).size() == 2, Duration.ofSeconds(5), "2 mounts listed");
            List<MountEntry> listed = LiveMount.list(node);
            assertEquals(Set.of(kept.target().toString(), dead.target().toString()),
                    Set.copyOf(listed.stream().map(MountEntry::target).toList()));
            assertFalse(node.host().isMounted(unmounted.target()));
            assertTrue(MounterdLog.of(node).lines("detached").isEmpty(), node.mounterd().log());
            kept.roundTrip(node);
            node.host().run("umount", dead.target().toString());
        }
    }

    private static Map<?, ?> savedCommands(MounterNode node) {
        Object commands = LiveMount.stateFile(node).get("commands");
        return commands instanceof Map<?, ?> map ? map : Map.of();
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mounter.protocol.MountEntry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A FUSE daemon that dies leaves its mount dead in the host namespace ("Transport endpoint
 * is not connected") until someone removes it: mounterd does, within 5 s, and leaves every
 * other mount alone.
 */
class DaemonDeathTest extends OnMounterNode {
    private static final Duration LIMIT = Duration.ofSeconds(5);

    @Test
    void aKilledDaemonsMountIsDetachedWithinFiveSecondsAndTheOthersServeOn() {
        LiveMount bindfs = LiveMount.bindfs(node, "dies-bindfs");
        LiveMount sshfs = LiveMount.sshfs(node, "dies-sshfs");
        List<LiveMount> others = List.of(LiveMount.bindfs(node, "lives-bindfs"), LiveMount.sshfs(node, "lives-sshfs"));

        for (LiveMount victim : List.of(bindfs, sshfs)) {
            ProcessInfo daemon = victim.daemon(node);
            long killed = System.nanoTime();
            ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly); // kill -9 from the root namespace
            LiveMount.await(() -> !node.host().isMounted(victim.target()), LIMIT,
                    victim.target() + " detached after its " + victim.daemonComm() + " died\n" + node.mounterd().log());
            long millis = (System.nanoTime() - killed) / 1_000_000;
            // the record goes a moment after the detach
            LiveMount.await(() -> LiveMount.list(node).stream().noneMatch(e -> e.target().equals(victim.target().toString())),
                    Duration.ofSeconds(1), "mounterd forgot it");
            List<Map<String, String>> said = MounterdLog.of(node).lines("detached").stream()
                    .filter(line -> victim.target().toString().equals(line.get("target"))).toList();
            assertEquals(1, said.size(), node.mounterd().log());
            assertEquals("FUSE daemon died", said.get(0).get("reason"));
            System.out.println(victim.daemonComm() + " daemon killed: mount detached after " + millis + " ms");
        }

        List<MountEntry> listed = LiveMount.list(node);
        for (LiveMount other : others) {
            assertEquals(1, other.mountsOnHost(node), "untouched: " + other.target());
            assertEquals(other.daemonPidInContainer(node), LiveMount.listed(listed, other.target()).daemonPid());
            other.roundTrip(node);
        }
        assertEquals(2, listed.size(), listed.toString());
        assertFalse(node.host().isMounted(bindfs.target()));
    }
}

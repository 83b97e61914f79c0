package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.MountInfo;
import io.mounter.protocol.MountEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Clients killed between sending a MOUNT (with its /dev/fuse descriptor) and reading the
 * reply, 200 times: whatever mounterd mounted for them must be in its table, so that nothing
 * in the host namespace is a mount nobody recorded; and since no daemon serves those mounts,
 * the watcher must remove them, leaving table and host in agreement.
 */
class ClientKilledMidRequestTest extends OnMounterNode {
    private static final int CLIENTS = 200;

    @Test
    void nothingIsLeftMountedThatMounterdDidNotRecord() {
        Path program = node.dist().root().resolveSibling("preload-shim/build/mount-and-die");
        assertTrue(program.toFile().canExecute(), "built by preload-shim's make: " + program);
        Path dir = node.node().newVolumeDir("killed-clients");

        long start = System.nanoTime();
        CommandResult run = node.container().command(List.of(program.toString(), Integer.toString(CLIENTS),
                dir.toString())).withTimeout(Duration.ofMinutes(2)).run();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals("sent=" + CLIENTS, run.stdout().strip(), run.describe());
        long mountedRightAfter = node.host().mountinfo().under(dir).size();
        assertTrue(mountedRightAfter > 0, "mounterd mounted for the killed clients (else the test proves nothing)");
        // every mount on the host is recorded (the record is made before the reply is sent)
        LiveMount.await(() -> tableMatchesHost(dir), Duration.ofSeconds(2), "table and host agree: " + difference(dir));
        // no daemon serves them: the watcher removes each within its 2 s grace
        LiveMount.await(() -> node.host().mountinfo().under(dir).isEmpty(), Duration.ofSeconds(8),
                "all removed: " + node.host().mountinfo().under(dir).size() + " left");
        // each record goes a moment after its detach
        LiveMount.await(() -> tableMatchesHost(dir), Duration.ofSeconds(2), "table and host agree: " + difference(dir));
        int made = MounterdLog.of(node).lines("request").stream()
                .filter(line -> "MOUNT".equals(line.get("op")) && "ok".equals(line.get("result"))
                        && line.getOrDefault("target", "").startsWith(dir.toString()))
                .toList().size();
        int removed = MounterdLog.of(node).lines("detached").stream()
                .filter(line -> line.getOrDefault("target", "").startsWith(dir.toString())).toList().size();
        assertTrue(made > 0, "mounts were made");
        assertEquals(made, removed, "each mount made for a dead client was detached once");
        assertTrue(node.mounterd().isAlive(), node.mounterd().log());
        System.out.println(CLIENTS + " clients killed mid-request in " + millis + " ms; " + made
                + " mounts made and detached; " + mountedRightAfter + " still mounted right after the run");
    }

    @Test
    void theirMountsReachTheStateFileSoAMounterdKilledRightAfterStillRemovesThem() {
        Path program = node.dist().root().resolveSibling("preload-shim/build/mount-and-die");
        Path dir = node.node().newVolumeDir("killed-clients-then-mounterd");
        node.container().command(List.of(program.toString(), "40", dir.toString())).run();
        // later than the state writer's 20 ms, well before the watcher's 2 s grace
        Processes.sleep(Duration.ofMillis(300));
        int mounted = node.host().mountinfo().under(dir).size();
        assertTrue(mounted > 0, "still mounted when mounterd dies");
        node.mounterd().kill();
        node.restartMounterd();
        // they are in the saved state, so the new mounterd knows them, finds no daemon, detaches them;
        // a mount the state had missed would be left alone (nothing serves it) and stay
        LiveMount.await(() -> node.host().mountinfo().under(dir).isEmpty(), Duration.ofSeconds(10),
                "all removed after the restart: " + node.host().mountinfo().under(dir).size() + " of " + mounted + " left");
        // each record goes a moment after its detach
        LiveMount.await(() -> inTable(dir).isEmpty(), Duration.ofSeconds(2), "the table follows: " + difference(dir));
    }

    private boolean tableMatchesHost(Path dir) {
        return onHost(dir).equals(inTable(dir));
    }

    private Set<String> onHost(Path dir) {
        return node.host().mountinfo().under(dir).stream().map(MountInfo.Entry::mountPoint)
                .collect(Collectors.toSet());
    }

    private Set<String> inTable(Path dir) {
        return LiveMount.list(node).stream().map(MountEntry::target)
                .filter(target -> target.startsWith(dir + "/")).collect(Collectors.toSet());
    }

    private String difference(Path dir) {
        Set<String> host = onHost(dir);
        Set<String> table = inTable(dir);
        return "mounted but not recorded: " + host.stream().filter(t -> !table.contains(t)).toList()
                + "; recorded but not mounted: " + table.stream().filter(t -> !host.contains(t)).toList();
    }
}

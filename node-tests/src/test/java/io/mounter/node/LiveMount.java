package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.client.MounterClient;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * A FUSE mount made through the shim by a real helper in a node's mount container (bindfs
 * or sshfs), with what the survival tests check of it: who serves it, and that files still
 * go through it on the host.
 */
record LiveMount(Path target, String daemonComm, Path backend) {

    static LiveMount bindfs(MounterNode node, String name) {
        Path source = node.node().newDirectory(name);
        Path target = node.node().newVolumeDir(name);
        node.container().run("bindfs", source.toString(), target.toString());
        return new LiveMount(target, "bindfs", source);
    }

    static LiveMount sshfs(MounterNode node, String name) {
        SshServer ssh = node.node().ssh();
        Path target = node.node().newVolumeDir(name);
        node.container().run(ssh.sshfsCommand(target).toArray(String[]::new));
        return new LiveMount(target, "sshfs", ssh.exportDir());
    }

    /** The live process serving this mount in the container (host pid), or an AssertionError. */
    ProcessInfo daemon(MounterNode node) {
        return Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals(daemonComm) && p.cmdline().contains(target.toString()) && !p.isZombie())
                .orElseThrow(() -> new AssertionError("no live " + daemonComm + " serves " + target + ": "
                        + node.container().processes()));
    }

    /** The daemon's pid as mounterd (in the container's PID namespace) names it. */
    int daemonPidInContainer(MounterNode node) {
        return (int) Processes.pidInOwnNamespace(daemon(node).pid());
    }

    /** Writes a new file through the mount on the host, reads it back there and finds it in the backend. */
    void roundTrip(MounterNode node) {
        String name = "survives-" + UUID.randomUUID() + ".txt";
        String content = "through " + daemonComm + " on the host " + UUID.randomUUID();
        Path file = target.resolve(name);
        node.host().run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", content, file.toString());
        assertEquals(content, node.host().run("cat", file.toString()).stdout(), "reads back on the host: " + target);
        try {
            assertEquals(content, Files.readString(backend.resolve(name)), "the backend holds it: " + target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many mounts the host shows exactly at this target. */
    long mountsOnHost(MounterNode node) {
        return node.host().mountinfo().entries().stream().filter(e -> e.mountPoint().equals(target.toString())).count();
    }

    static List<MountEntry> list(MounterNode node) {
        try (MounterClient client = node.mounterd().client()) {
            return client.list();
        }
    }

    static MountEntry listed(List<MountEntry> entries, Path target) {
        return entries.stream().filter(e -> e.target().equals(target.toString())).findFirst()
                .orElseThrow(() -> new AssertionError("mounterd does not list " + target + ": " + entries));
    }

    /** mounterd's state file as it is on disk now (empty map if there is none). */
    static Map<String, Object> stateFile(MounterNode node) {
        Path file = node.mounterd().stateDirFromOutside().resolve("mounts.json");
        try {
            return Files.exists(file) ? JSON.std.mapFrom(Files.readString(file)) : Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<?> savedMounts(MounterNode node) {
        Object mounts = stateFile(node).get("mounts");
        return mounts instanceof List<?> list ? list : List.of();
    }

    static void await(BooleanSupplier condition, Duration limit, String what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + limit + ": " + what);
            }
            Processes.sleep(Duration.ofMillis(20));
        }
    }
}

package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
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
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Dead mounts brought back in the real image, on the host and inside running pods, which
 * are not restarted: a FUSE daemon killed in the container; and the container replaced, as
 * a static pod edit or an image update does, which ends every FUSE daemon in it. The new
 * container's mounterd reads the state kept on the host, runs each dead mount's daemon
 * command again and puts the fresh mount in place of the dead one.
 */
class ContainerReplacedTest extends OnDockerNode {
    private static final Duration BACK_WITHIN = Duration.ofSeconds(10);
    private static final int MOUNTS = 3;

    /** A bindfs volume and the file written through it before the replacement. */
    private record Volume(Path source, Path target, Path inPod, String content) {
    }

    @Test
    void everyMountServesAgainOnTheHostAndInRunningPodsAfterTheContainerIsReplaced() throws IOException {
        List<Volume> volumes = new ArrayList<>();
        Map<Path, Path> binds = new LinkedHashMap<>();
        for (int i = 0; i < MOUNTS; i++) {
            Path source = node.newDirectory("replaced-source");
            Path target = node.newVolumeDir("replaced-" + i);
            node.container().exec("bindfs", source.toString(), target.toString()).requireSuccess();
            String content = "written before the replacement " + UUID.randomUUID();
            node.host().run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", content, target.resolve("before.txt").toString());
            Path inPod = node.newDirectory("pod-data-" + i);
            binds.put(inPod, target);
            volumes.add(new Volume(source, target, inPod, content));
        }
        awaitCommandsSaved(volumes);
        try (PodNamespace first = PodNamespace.start(node.host(), binds, "private", node.logDir().resolve("pod-1.log"));
             PodNamespace second = PodNamespace.start(node.host(), binds, "private",
                     node.logDir().resolve("pod-2.log"))) {
            Map<Path, DeviceNumber> dead = new LinkedHashMap<>();
            volumes.forEach(v -> dead.put(v.target(), deviceAt(v.target())));

            long replaced = System.nanoTime();
            node.restartContainer();
            long started = System.nanoTime(); // the new container's mounterd answers
            long deadline = started + BACK_WITHIN.toNanos();

            for (Volume volume : volumes) {
                await(deadline, () -> servesAgain(volume, dead.get(volume.target())), "served again on the host: "
                        + volume.target() + "\n" + node.container().logs());
                for (PodNamespace pod : List.of(first, second)) {
                    await(deadline, () -> readsInPod(pod, volume), "served again in " + pod + " at " + volume.inPod()
                            + "\n" + node.container().logs());
                }
            }
            long millis = (System.nanoTime() - replaced) / 1_000_000;
            long afterStart = (System.nanoTime() - started) / 1_000_000;
            for (Volume volume : volumes) {
                assertEquals(1, node.host().mountinfo().entries().stream()
                        .filter(e -> e.mountPoint().equals(volume.target().toString())).count(), "nothing stacked");
                first.run("sh", "-c", "echo after > \"$1\"", "sh", volume.inPod().resolve("after.txt").toString());
                assertEquals("after\n", Files.readString(volume.source().resolve("after.txt")),
                        "written through the pod reaches the source");
            }
            System.out.println(MOUNTS + " mounts and 2 pods serving again " + millis + " ms after the container"
                    + " was replaced, " + afterStart + " ms after the new one answered");
        }
        for (Volume volume : volumes) {
            node.host().run("umount", volume.target().toString());
        }
    }

    /** One daemon killed in the image: its mount serves again on the host and in a running pod; the others are untouched. */
    @Test
    void aKilledDaemonsMountServesAgainWithinFiveSecondsOnTheHostAndInAPod() throws IOException {
        List<Volume> volumes = new ArrayList<>();
        Map<Path, Path> binds = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            Path source = node.newDirectory("killed-source");
            Path target = node.newVolumeDir("killed-" + i);
            node.container().exec("bindfs", source.toString(), target.toString()).requireSuccess();
            String content = "written before the kill " + UUID.randomUUID();
            Files.writeString(source.resolve("before.txt"), content);
            Path inPod = node.newDirectory("killed-pod-" + i);
            binds.put(inPod, target);
            volumes.add(new Volume(source, target, inPod, content));
        }
        awaitCommandsSaved(volumes);
        Volume victim = volumes.get(0);
        Volume other = volumes.get(1);
        try (PodNamespace pod = PodNamespace.start(node.host(), binds, "private", node.logDir().resolve("pod-k.log"))) {
            DeviceNumber dead = deviceAt(victim.target());
            DeviceNumber untouched = deviceAt(other.target());
            ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                    p -> p.commandLine().contains("bindfs " + victim.source() + " ") && !p.isZombie()).orElseThrow();

            ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);

            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            await(deadline, () -> servesAgain(victim, dead), "served again on the host\n" + node.container().logs());
            await(deadline, () -> readsInPod(pod, victim), "served again in the pod\n" + node.container().logs());
            assertEquals(untouched, deviceAt(other.target()), "the other mount is untouched");
            assertTrue(readsInPod(pod, other));
        }
        for (Volume volume : volumes) {
            node.host().run("umount", volume.target().toString());
        }
    }

    private void awaitCommandsSaved(List<Volume> volumes) {
        Path state = node.stateDir().resolve("mounts.json");
        await(System.nanoTime() + BACK_WITHIN.toNanos(), () -> {
            try {
                Object commands = Files.exists(state) ? JSON.std.mapFrom(Files.readString(state)).get("commands") : null;
                return commands instanceof Map<?, ?> saved
                        && volumes.stream().allMatch(v -> saved.containsKey(v.target().toString()));
            } catch (IOException e) {
                return false;
            }
        }, "the daemons' commands saved in " + state);
    }

    private boolean servesAgain(Volume volume, DeviceNumber dead) {
        DeviceNumber now = node.host().mountinfo().at(volume.target()).map(MountInfo.Entry::device).orElse(null);
        if (now == null || now.equals(dead)) {
            return false;
        }
        CommandResult read = node.host().exec("cat", volume.target().resolve("before.txt").toString());
        return read.succeeded() && read.stdout().equals(volume.content());
    }

    private static boolean readsInPod(PodNamespace pod, Volume volume) {
        CommandResult read = pod.exec("cat", volume.inPod().resolve("before.txt").toString());
        return read.succeeded() && read.stdout().equals(volume.content());
    }

    private DeviceNumber deviceAt(Path target) {
        return node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElseThrow();
    }

    private static void await(long deadline, BooleanSupplier condition, String what) {
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + BACK_WITHIN + ": " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

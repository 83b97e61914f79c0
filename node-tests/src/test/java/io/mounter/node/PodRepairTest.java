package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.executor.DetachedMount;
import io.mounter.executor.HostCommand;
import io.mounter.executor.NamespaceCommand;
import io.mounter.executor.PinnedExecutor;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.policy.ContainedPath;
import io.mounter.recovery.MountNamespaceScan;
import io.mounter.recovery.PodRepair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Repair inside running pods, on the simulated node with real bindfs daemons: a pod's
 * private bind of a volume whose daemon died is replaced, in the pod's own namespace and
 * without restarting it, by a clone of a fresh mount made in the host namespace. The
 * executor runs in this JVM, pointed at the node's host namespace (never the machine's).
 */
class PodRepairTest extends OnMounterNode {

    /** A bindfs volume made through mounterd, with a file in its source. */
    private record Volume(Path source, Path target, String file, String content) {
    }

    private Volume bindfsVolume(String name) throws IOException {
        Path source = node.node().newDirectory(name + "-source");
        String content = "written before the failure " + UUID.randomUUID();
        Files.writeString(source.resolve("data.txt"), content);
        Path target = node.node().newVolumeDir(name);
        node.container().run("bindfs", source.toString(), target.toString());
        assertTrue(node.host().isMounted(target), "bindfs not on the host: " + target);
        return new Volume(source, target, "data.txt", content);
    }

    private DeviceNumber deviceOnHost(Path target) {
        return node.host().mountinfo().at(target).orElseThrow().device();
    }

    private void killDaemonOf(Volume volume) {
        ProcessInfo daemon = Processes.findByCmdline(node.container().pidNamespaceInode(),
                "bindfs " + volume.source() + " " + volume.target()).orElseThrow();
        Processes.killTree(ProcessHandle.of(daemon.pid()).orElseThrow());
        assertTrue(Processes.waitForExit(daemon.pid(), java.time.Duration.ofSeconds(5)));
    }

    private PodNamespace pod(Map<Path, Path> binds) {
        return PodNamespace.start(node.host(), binds, "private",
                node.node().logDir().resolve("pod-" + UUID.randomUUID() + ".log"));
    }

    private ContainedPath contained(Path target) {
        return ContainedPath.within(target.toString(), List.of(node.node().kubeletPodsDir().toString()));
    }

    /** Namespaces never visited: the node's host (mended by a remount), the mount container's, this JVM's. */
    private Set<Long> skipped() {
        return Set.of(node.host().mountNamespaceInode(), node.container().mountNamespaceInode(),
                Processes.namespaceInode(ProcessHandle.current().pid(), "mnt"));
    }

    private String readInPod(PodNamespace pod, Path file) {
        return pod.exec("cat", file.toString()).stdout();
    }

    private boolean holds(NamespaceMounts mounts, DeviceNumber device) {
        return mounts.entries().stream().anyMatch(entry -> entry.device().equals(device));
    }

    @Test
    void aPodsPrivateCopiesOfADeadMountAreReplacedInPlace() throws IOException {
        PodNamespace bystander = pod(Map.of()); // started before the volume: holds no copy of it
        Volume volume = bindfsVolume("repair");
        DeviceNumber dead = deviceOnHost(volume.target());
        Path first = node.node().newDirectory("pod-first");
        Path second = node.node().newDirectory("pod-second");
        Volume fresh;
        try (bystander; PodNamespace pod = pod(Map.of(first, volume.target(), second, volume.target()))) {
            assertEquals(volume.content(), readInPod(pod, first.resolve(volume.file())));
            List<MountInfo.Entry> bystanderBefore = bystander.mountinfo().entries();

            killDaemonOf(volume);
            CommandResult deadRead = pod.exec("cat", first.resolve(volume.file()).toString());
            assertTrue(deadRead.stderr().contains("Transport endpoint is not connected"), deadRead::describe);

            fresh = new Volume(volume.source(), node.node().newVolumeDir("repair-fresh"), volume.file(),
                    volume.content());
            node.container().run("bindfs", fresh.source().toString(), fresh.target().toString());
            DeviceNumber freshDevice = deviceOnHost(fresh.target());

            List<PodRepair.Outcome> outcomes;
            try (PinnedExecutor executor = PinnedExecutor.start(node.host().mountNsPath().toString(), 1)) {
                outcomes = new PodRepair(executor, Path.of("/proc"), skipped())
                        .repair(dead, contained(fresh.target()));
            }

            assertEquals(2, outcomes.size(), outcomes::toString);
            assertTrue(outcomes.stream().allMatch(PodRepair.Outcome::replaced), outcomes::toString);
            assertEquals(Set.of(pod.mountNsPath()), Set.copyOf(outcomes.stream().map(PodRepair.Outcome::namespace)
                    .toList()), "one namespace, visited for each of its mounts");
            for (Path inPod : List.of(first, second)) {
                assertEquals(volume.content(), readInPod(pod, inPod.resolve(volume.file())), "read in the pod at " + inPod);
                assertEquals(freshDevice, pod.mountinfo().at(inPod).orElseThrow().device());
            }
            assertFalse(holds(pod.mountinfo(), dead), "the dead mount is still in the pod:\n" + pod.mountinfo());
            pod.run("sh", "-c", "echo after > \"$1\"", "sh", first.resolve("after.txt").toString());
            assertEquals("after\n", Files.readString(volume.source().resolve("after.txt")), "written through the pod");
            assertEquals(bystanderBefore, bystander.mountinfo().entries(), "a namespace without the dead mount changed");
        }
        node.host().run("umount", fresh.target().toString());
    }

    @Test
    void aPathSwappedForASymlinkGetsNoMount() throws IOException {
        Volume volume = bindfsVolume("swapped");
        DeviceNumber dead = deviceOnHost(volume.target());
        Path podDir = node.node().newDirectory("pod-swapped");
        Path inPod = podDir.resolve("data");
        Path elsewhere = node.node().newDirectory("elsewhere");
        Files.createDirectories(inPod);
        Files.createDirectories(elsewhere.resolve("data"));
        try (PodNamespace pod = pod(Map.of(inPod, volume.target()))) {
            killDaemonOf(volume);
            // after a scan found the dead mount at podDir/data: the pod moves it away and puts
            // a symlink to a directory of its choice in its place
            Path moved = node.node().newDirectory("moved");
            pod.run("mount", "--move", inPod.toString(), moved.toString());
            pod.run("rmdir", inPod.toString());
            pod.run("rmdir", podDir.toString());
            pod.run("ln", "-s", elsewhere.toString(), podDir.toString());

            Path freshTarget = node.node().newVolumeDir("swapped-fresh");
            node.container().run("bindfs", volume.source().toString(), freshTarget.toString());
            DeviceNumber freshDevice = deviceOnHost(freshTarget);
            try (PinnedExecutor executor = PinnedExecutor.start(node.host().mountNsPath().toString(), 1);
                 DetachedMount clone = executor.execute(new HostCommand.CloneMount(contained(freshTarget), "/"))) {
                assertEquals(freshDevice, clone.device());

                NamespaceCommand.Replacement done = executor.executeIn(pod.mountNsPath().toString(),
                        new NamespaceCommand.ReplaceMount(clone, inPod.toString(), dead));

                assertEquals(NamespaceCommand.Replacement.NOT_HELD, done);
            }
            assertFalse(holds(pod.mountinfo(), freshDevice), "the fresh mount landed in the pod:\n" + pod.mountinfo());
            assertEquals(dead, pod.mountinfo().at(moved).orElseThrow().device(), "the moved dead mount was touched");
            node.host().run("umount", freshTarget.toString());
        }
    }

    @Test
    void theScanVisitsEachNamespaceOnceAndSkipsMountsThatFollowTheHost() throws IOException {
        Volume volume = bindfsVolume("scanned");
        DeviceNumber device = deviceOnHost(volume.target());
        Path privatePath = node.node().newDirectory("pod-private");
        Path shared = node.node().newDirectory("shared-volumes");
        Path sharedCopy = shared.resolve("volume");
        Files.createDirectories(sharedCopy);
        try (PodNamespace privatePod = pod(Map.of(privatePath, volume.target()))) {
            // a shared host mount holding the volume, as a host's / is under systemd, and a pod
            // whose copy of it follows the host (HostToContainer)
            node.host().run("mount", "--bind", shared.toString(), shared.toString());
            node.host().run("mount", "--make-shared", shared.toString());
            node.host().run("mount", "--bind", volume.target().toString(), sharedCopy.toString());
            try (PodNamespace followingPod = PodNamespace.start(node.host(), Map.of(), "slave",
                    node.node().logDir().resolve("pod-slave-" + UUID.randomUUID() + ".log"))) {
                followingPod.run("umount", "-l", volume.target().toString()); // seen through the shared copy only
                MountInfo.Entry following = followingPod.mountinfo().at(sharedCopy).orElseThrow();
                assertEquals(device, following.device());
                assertTrue(following.optionalFields().stream().anyMatch(tag -> tag.startsWith("master:")),
                        following.toString());

                List<MountNamespaceScan.Holder> holders = MountNamespaceScan.holdersOf(Path.of("/proc"), device,
                        skipped());

                assertEquals(1, holders.size(), holders::toString);
                MountNamespaceScan.Holder holder = holders.get(0);
                assertEquals(privatePod.mountNamespaceInode(), holder.inode());
                assertEquals(List.of(privatePath.toString()), holder.mounts().stream()
                        .map(MountInfo.Entry::mountPoint).toList());
                assertNotEquals(followingPod.mountNamespaceInode(), holder.inode());
            }
        } finally {
            node.host().exec("umount", "-l", sharedCopy.toString());
            node.host().exec("umount", "-l", shared.toString());
            node.host().exec("umount", volume.target().toString());
        }
    }
}

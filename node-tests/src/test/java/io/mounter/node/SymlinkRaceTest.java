package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.linux.MountInfo;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The attack of CVE-2017-1002101 and CVE-2021-30465 against the real mounterd: while
 * tmpfs MOUNT requests for {@code <pods>/<uid>/volumes/race/x} stream in (each followed by
 * UMOUNTs until one succeeds), another process keeps exchanging {@code race} between a real
 * directory and a symlink to a directory outside the allowed prefixes (renameat2
 * RENAME_EXCHANGE, some 100,000 times a second). mounterd resolves the target once, without
 * following symlinks, and mounts onto that handle: no mount may ever appear outside the
 * prefixes, and none may be left behind.
 */
class SymlinkRaceTest extends OnMounterNode {
    private static final int REQUESTS = Integer.getInteger("mounter.race.requests", 5000);
    private static final int BATCH = 500;
    private static final int MAX_UMOUNT_TRIES = 100_000;

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--allow-fstype", "tmpfs");
    }

    @Test
    void noMountEverLandsOutsideThePrefixesWhileAComponentIsSwappedForASymlink() throws IOException {
        Path race = node.node().newVolumeDir("race");
        Path volumes = race.getParent();
        Files.createDirectory(race.resolve("x"));
        Path outside = node.node().newDirectory("outside-prefixes");
        Files.createDirectory(outside.resolve("x"));
        Files.createSymbolicLink(volumes.resolve("race.alt"), outside);
        Set<Integer> before = mountIds(node.host().mountinfo());
        Path target = race.resolve("x");
        detectorSeesAMountThroughTheSymlink(before, volumes.resolve("race.alt/x"));

        Map<String, Integer> outcomes = new TreeMap<>();
        long umountTries = 0;
        Process swapper = startSwapper(race, volumes.resolve("race.alt"));
        try (MounterClient client = node.mounterd().client()) {
            for (int i = 1; i <= REQUESTS; i++) {
                Reply reply = client.call(new Request.Mount(i, "tmpfs", target.toString(), "tmpfs", 0, "size=1m", -1), -1);
                outcomes.merge(reply.status() == 0 ? "mounted" : Errno.describe(reply.status()), 1, Integer::sum);
                if (reply.status() == 0) {
                    umountTries += unmount(client, target);
                }
                if (i % BATCH == 0) {
                    assertNoMountOutside(before, "after " + i + " requests");
                }
            }
        } finally {
            swapper.toHandle().destroy(); // SIGTERM; Process.destroy would close its stdout too
        }
        String swaps = awaitSwapCount(swapper);
        System.out.printf("SymlinkRaceTest: %d MOUNT requests while `race` was swapped (%s): %s; %d UMOUNT requests%n",
                REQUESTS, swaps, outcomes, umountTries);
        assertNoMountOutside(before, "at the end");
        assertEquals(Set.of(), newMounts(before).stream().map(MountInfo.Entry::mountPoint).collect(Collectors.toSet()),
                "mounts left behind");
        assertTrue(outcomes.getOrDefault("mounted", 0) > 0, "no request won the race to the real directory: " + outcomes);
        assertTrue(outcomes.getOrDefault(Errno.describe(Errno.EPERM), 0) > 0,
                "no request met the symlink, so the race was not run: " + outcomes);
        assertEquals(REQUESTS, outcomes.getOrDefault("mounted", 0) + outcomes.get(Errno.describe(Errno.EPERM)),
                "only two outcomes: mounted on the real directory, or refused for the symlink: " + outcomes);
        try (MounterClient client = node.mounterd().client()) {
            assertEquals(List.of(), client.list(), "mounterd still records a mount");
        }
    }

    /** What a mounter that follows the symlink would do, done by hand: the check must see it. */
    private void detectorSeesAMountThroughTheSymlink(Set<Integer> before, Path throughSymlink) {
        node.host().run("mount", "-t", "tmpfs", "tmpfs", throughSymlink.toString());
        try {
            assertEquals(1, newMounts(before).stream()
                            .filter(e -> !NamespaceMounts.isAtOrUnder(e, node.node().kubeletPodsDir())).count(),
                    "the check does not see a mount outside the prefixes");
        } finally {
            node.host().run("umount", throughSymlink.toString());
        }
    }

    /** UMOUNTs until one succeeds: while `race` is the symlink, the path is refused. Returns the tries. */
    private long unmount(MounterClient client, Path target) {
        String last = "";
        for (int tries = 1; tries <= MAX_UMOUNT_TRIES; tries++) {
            Reply reply = client.call(new Request.Umount(0, target.toString(), 0), -1);
            if (reply.status() == 0) {
                return tries;
            }
            assertEquals(Errno.EPERM, reply.status(), "UMOUNT: " + reply.message());
            last = reply.message();
        }
        throw new AssertionError("could not unmount " + target + " in " + MAX_UMOUNT_TRIES + " tries; the last"
                + " refusal: " + last + "\n" + node.mounterd().log());
    }

    private Process startSwapper(Path a, Path b) {
        try {
            return new ProcessBuilder(node.dist().root().resolve("libexec/mount-bench").toString(), "swap",
                    a.toString(), b.toString(), "600")
                    .redirectInput(new File("/dev/null"))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the swapper", e);
        }
    }

    private static String awaitSwapCount(Process swapper) throws IOException {
        if (!Processes.waitForExit(swapper.toHandle(), Duration.ofSeconds(10))) {
            Processes.killTree(swapper.toHandle());
            throw new AssertionError("the swapper did not stop");
        }
        return new String(swapper.getInputStream().readAllBytes()).strip();
    }

    /** Fails if any mount that was not there before sits outside the node's kubelet pod directory. */
    private void assertNoMountOutside(Set<Integer> before, String when) {
        Path pods = node.node().kubeletPodsDir();
        List<MountInfo.Entry> outside = newMounts(before).stream().filter(e -> !NamespaceMounts.isAtOrUnder(e, pods))
                .toList();
        assertEquals(List.of(), outside, "mounts outside " + pods + " " + when);
    }

    private List<MountInfo.Entry> newMounts(Set<Integer> before) {
        return node.host().mountinfo().entries().stream().filter(e -> !before.contains(e.id())).toList();
    }

    private static Set<Integer> mountIds(NamespaceMounts mounts) {
        return mounts.entries().stream().map(MountInfo.Entry::id).collect(Collectors.toSet());
    }
}

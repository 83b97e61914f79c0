package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.SyscallException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM (kubelet stopping the pod): mounterd refuses new connections at once, finishes
 * and answers the request in flight, saves its state and exits within 5 s.
 */
class GracefulStopTest {

    @Test
    void aRequestInFlightIsAnsweredNewOnesRefusedAndMounterdExitsWithinFiveSeconds() throws Exception {
        Privileged.assume();
        try (MounterNode node = MounterNode.start(List.of("--allow-fstype", "fuse.slow"))) {
            // a helper that mounts (through the shim), then takes 2 s more to finish
            installHelper(node, "mount.fuse.slow", """
                    #!/bin/sh
                    bindfs "$1" "$2" || exit 1
                    sleep 2
                    echo slow helper done
                    """);
            LiveMount before = LiveMount.bindfs(node, "mounted-before");
            Path source = node.node().newDirectory("slow-source");
            Path target = node.node().newVolumeDir("slow");
            List<String> argv = List.of(node.dist().bin("mounterctl").toString(), "mount", "-t", "fuse.slow",
                    source.toString(), target.toString());
            CompletableFuture<CommandResult> slow = CompletableFuture.supplyAsync(
                    () -> node.container().command(argv).withTimeout(Duration.ofSeconds(30)).exec());
            LiveMount.await(() -> node.host().isMounted(target), Duration.ofSeconds(10), "the slow helper mounted");

            long term = System.nanoTime();
            node.mounterd().terminate();
            LiveMount.await(() -> refused(node), Duration.ofSeconds(1), "a new connection is refused");
            long refusedMillis = (System.nanoTime() - term) / 1_000_000;
            assertTrue(!slow.isDone(), "refused while the slow request is still in flight");

            CommandResult result = slow.get(10, TimeUnit.SECONDS);
            assertEquals(0, result.exitStatus(), "the request in flight got its reply: " + result.describe());
            assertTrue((result.stdout() + result.stderr()).contains("slow helper done"), result.describe());
            Duration exit = node.mounterd().awaitExit(Duration.ofSeconds(5));
            long exitMillis = (System.nanoTime() - term) / 1_000_000;
            assertTrue(exitMillis < 5000, "exited " + exitMillis + " ms after SIGTERM");

            List<?> saved = LiveMount.savedMounts(node);
            assertEquals(List.of(before.target().toString(), target.toString()),
                    saved.stream().map(m -> ((Map<?, ?>) m).get("target")).toList(), "the state is up to date");
            Map<String, String> stopped = MounterdLog.of(node).lines("stopped").get(0);
            assertEquals("true", stopped.get("requests_finished"), stopped.toString());
            assertEquals("true", stopped.get("state_saved"), stopped.toString());
            assertTrue(node.host().isMounted(target) && node.host().isMounted(before.target()),
                    "stopping mounterd unmounts nothing");
            System.out.println("SIGTERM: refused new connections after " + refusedMillis + " ms, exited after "
                    + exitMillis + " ms (" + exit.toMillis() + " ms after the wait began)");
        }
    }

    @Test
    void aRequestThatOutlastsTheWaitDoesNotKeepMounterdPastFiveSeconds() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start(List.of("--allow-fstype", "fuse.stuck"))) {
            installHelper(node, "mount.fuse.stuck", "#!/bin/sh\nexec sleep 60\n");
            Path target = node.node().newVolumeDir("stuck");
            List<String> argv = List.of(node.dist().bin("mounterctl").toString(), "mount", "-t", "fuse.stuck", "src",
                    target.toString());
            CompletableFuture<CommandResult> stuck = CompletableFuture.supplyAsync(
                    () -> node.container().command(argv).withTimeout(Duration.ofSeconds(30)).exec());
            LiveMount.await(() -> node.container().processes().stream().anyMatch(p -> p.commandLine().equals("sleep 60")),
                    Duration.ofSeconds(10), "the stuck helper runs");

            long term = System.nanoTime();
            node.mounterd().terminate();
            node.mounterd().awaitExit(Duration.ofSeconds(5));
            long exitMillis = (System.nanoTime() - term) / 1_000_000;
            assertTrue(exitMillis < 5000, "exited " + exitMillis + " ms after SIGTERM");
            Map<String, String> stopped = MounterdLog.of(node).lines("stopped").get(0);
            assertEquals("false", stopped.get("requests_finished"), stopped.toString());
            assertEquals("true", stopped.get("state_saved"), stopped.toString());
            CommandResult result = stuck.join();
            assertTrue(result.exitStatus() != 0, "no reply came: " + result.describe());
            System.out.println("SIGTERM with a request stuck: exited after " + exitMillis + " ms");
        }
    }

    private static boolean refused(MounterNode node) {
        try (MounterClient client = node.mounterd().client()) {
            client.list();
            return false;
        } catch (SyscallException e) {
            return true;
        }
    }

    static void installHelper(MounterNode node, String name, String script) {
        Path path = node.container().hostView("/usr/sbin/" + name);
        try {
            Files.writeString(path, script);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

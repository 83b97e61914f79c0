package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's {@code docker exec} row: a tmpfs mount+umount pair as two {@code docker
 * exec} calls into a container of the mount container's image, on the engine DOCKER_HOST
 * names. ./run bench starts a private engine and builds the image for it; run otherwise
 * (no DOCKER_HOST, no image), the row says why it was not measured.
 */
final class DockerExec {
    private static final String WAY = "docker exec CONTAINER mount, per call";

    private DockerExec() {
    }

    static MountBenchmark.Latency measure(int pairs) {
        String engine = System.getenv("DOCKER_HOST");
        if (engine == null || engine.isBlank()) {
            return skipped("not measured: DOCKER_HOST is not set");
        }
        String image;
        try {
            image = Files.readString(Distribution.locate().root().resolveSibling("container/IMAGE")).strip();
        } catch (IOException e) {
            return skipped("not measured: no container/IMAGE");
        }
        if (Command.of("docker", "image", "inspect", image).exec().exitStatus() != 0) {
            return skipped("not measured: image " + image + " is not in the engine at " + engine);
        }
        CommandResult started = Command.of("docker", "run", "-d", "--rm", "--network", "none", "--cap-add", "ALL",
                "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined", "--security-opt",
                "apparmor=unconfined", "--entrypoint", "sleep", image, "600").withTimeout(Duration.ofMinutes(1)).exec();
        if (started.exitStatus() != 0) {
            return skipped("not measured: the container did not start: " + started.stderr().strip());
        }
        String container = started.stdout().strip();
        try {
            List<Double> samples = new ArrayList<>();
            for (int i = -2; i < pairs; i++) {
                long start = System.nanoTime();
                Command.of("docker", "exec", container, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/mnt").run();
                Command.of("docker", "exec", container, "umount", "/mnt").run();
                if (i >= 0) {
                    samples.add((System.nanoTime() - start) / 1e3);
                }
            }
            List<Double> sorted = samples.stream().sorted().toList();
            return new MountBenchmark.Latency(WAY, pairs, sorted.get(pairs / 2),
                    sorted.get(Math.min(pairs - 1, (int) (pairs * 0.99))), "");
        } finally {
            Command.of("docker", "rm", "-f", container).exec();
        }
    }

    private static MountBenchmark.Latency skipped(String why) {
        return new MountBenchmark.Latency(WAY, 0, 0, 0, why + "; about 50 ms per exec on this machine kind");
    }
}

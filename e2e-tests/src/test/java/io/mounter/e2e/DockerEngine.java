package io.mounter.e2e;

import io.mounter.node.Command;
import io.mounter.node.CommandResult;
import io.mounter.node.NodeRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The Docker engine the tests run the image on: the one DOCKER_HOST names (scripts/docker-engine
 * starts a private one; `./run test` does so). Also the gate of every test here: without an
 * engine, the image or what a simulated host needs, a test is skipped with the reason; with
 * {@code MOUNTER_REQUIRE_PRIVILEGED=true} (or {@code -Dmounter.requirePrivileged=true}), as
 * CI sets it, it fails instead, so end-to-end coverage cannot vanish silently.
 */
final class DockerEngine {
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static String missing;

    private DockerEngine() {
    }

    /**
     * Skips the calling test (Assumptions) unless engine, image and host requirements are
     * all here; fails it instead where they are required.
     */
    static synchronized void assume() {
        if (missing == null) {
            missing = String.join("; ", findMissing());
        }
        if (missing.isEmpty()) {
            return;
        }
        String reason = "the end-to-end tests cannot run here: " + missing;
        if (required()) {
            Assertions.fail(reason + " (and privileged tests are required)");
        }
        Assumptions.abort(reason);
    }

    private static boolean required() {
        return Boolean.parseBoolean(System.getProperty("mounter.requirePrivileged",
                System.getenv().getOrDefault("MOUNTER_REQUIRE_PRIVILEGED", "false")));
    }

    private static List<String> findMissing() {
        List<String> reasons = new ArrayList<>();
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            reasons.add("DOCKER_HOST is not set (start an engine with `scripts/docker-engine start DIR`"
                    + " and export what it prints; `./run test` does both)");
            return reasons;
        }
        CommandResult version = docker("version", "--format", "{{.Server.Version}}").withTimeout(Duration.ofSeconds(15))
                .exec();
        if (!version.succeeded()) {
            reasons.add("the Docker engine at DOCKER_HOST=" + host + " does not answer: " + version.describe());
            return reasons;
        }
        String image = image();
        CommandResult inspect = docker("image", "inspect", "--format", "{{.Id}}", image).exec();
        if (!inspect.succeeded()) {
            reasons.add("the engine at " + host + " has no image " + image + " (scripts/build-image builds it): "
                    + inspect.describe());
        }
        reasons.addAll(NodeRequirements.missing());
        return reasons;
    }

    /** The image under test, as container/IMAGE names it (name:tag). */
    static String image() {
        Path file = Path.of(System.getProperty("mounter.image.file", "../container/IMAGE"));
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the image name from " + file + ": " + e, e);
        }
    }

    /** {@code docker ARGS} with the JVM's environment (DOCKER_HOST included). */
    static Command docker(String... args) {
        return docker(List.of(args));
    }

    static Command docker(List<String> args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(args);
        return Command.of(argv).withTimeout(CLI_TIMEOUT);
    }
}

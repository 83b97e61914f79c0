package io.mounter.node;

import io.mounter.client.MounterClient;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Makes the AppCDS archives the launchers use when present, {@code dist/lib/mounterd.jsa}
 * and {@code dist/lib/mounterctl.jsa}: a training start of mounterd on a simulated node with
 * {@code MOUNTER_CDS_DUMP} set, the requests a node sends (LIST, STATUS, a tmpfs mount and
 * unmount, a refusal, a malformed message) and mounterctl's list and status with
 * {@code MOUNTERCTL_CDS_DUMP}, then a SIGTERM, at which the JVM writes the archive. The
 * archives name the exact jars (paths, sizes, times): a rebuild makes them stale, and the
 * launchers then run without them, so they are made after the build, by {@code ./run bench}.
 */
public final class AppCdsTraining {
    private AppCdsTraining() {
    }

    /** Trains both and installs the archives into dist/lib; throws IllegalStateException if one is not written. */
    public static void train(MounterNode node) {
        Path work = node.node().newDirectory("appcds"); // shared with the container: the JVMs write here
        Path mounterdArchive = work.resolve("mounterd.jsa");
        Path mounterctlArchive = work.resolve("mounterctl.jsa");
        Path target = node.node().newVolumeDir("appcds-training");
        MounterdLaunch launch = MounterdLaunch.start(node, "training",
                Map.of("MOUNTER_CDS_DUMP", mounterdArchive.toString()), List.of("--allow-fstype", "tmpfs"));
        try {
            exercise(launch, target);
            for (String command : List.of("list", "status")) {
                node.container().command(List.of(node.dist().bin("mounterctl").toString(), command),
                        Map.of("MOUNTER_SOCKET", "/run/mounter/training.sock",
                                "MOUNTERCTL_CDS_DUMP", mounterctlArchive.toString()))
                        .withTimeout(Duration.ofSeconds(60)).run();
            }
        } finally {
            if (!launch.stop(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the training mounterd did not exit on SIGTERM:\n" + launch.log());
            }
        }
        install(mounterdArchive, node.dist().root().resolve("lib/mounterd.jsa"), launch.log());
        install(mounterctlArchive, node.dist().root().resolve("lib/mounterctl.jsa"), "");
    }

    private static void exercise(MounterdLaunch launch, Path target) {
        try (MounterClient client = launch.client()) {
            client.list();
            client.call(new Request.Status(client.nextId()), -1);
            for (int i = 0; i < 50; i++) {
                require(client.call(new Request.Mount(client.nextId(), "tmpfs", target.toString(), "tmpfs", 0,
                        "size=1m", -1), -1));
                require(client.call(new Request.Umount(client.nextId(), target.toString(), 0), -1));
            }
            client.call(new Request.Mount(client.nextId(), "x", target.toString(), "fuse.notallowed", 0, "", -1), -1);
            client.exchange(new byte[] {'M', 'N', 'T', 'R', 9}, -1);
        }
    }

    private static void require(Reply reply) {
        if (!reply.succeeded()) {
            throw new IllegalStateException("training request failed: " + reply.status() + " " + reply.message());
        }
    }

    private static void install(Path archive, Path destination, String log) {
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("no archive was written at " + archive + "\n" + log);
        }
        try {
            Path staged = destination.resolveSibling(destination.getFileName() + ".new");
            Files.copy(archive, staged, StandardCopyOption.REPLACE_EXISTING);
            Files.move(staged, destination, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + destination, e);
        }
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A daemon whose command line holds a credential: rclone's crypt remote, with its password on
 * the command line (obscured, as rclone takes it: anyone who reads it can use it). mounterd
 * keeps the command in its state file, mode 0600, to run it again when the daemon dies, and
 * does so; the credential reaches no log line, no LIST, no metric and no health answer.
 */
class CredentialsKeptTest extends OnMounterNode {
    private static final String HTTP_SOCKET = "/run/mounter/http.sock";
    private static final Duration LIMIT = Duration.ofSeconds(10);

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--http-listen", "unix:" + HTTP_SOCKET);
    }

    @Test
    void aPasswordOnADaemonsCommandLineIsKeptForItsRespawnAndShownNowhere() throws IOException {
        String password = "TOPSECRET-" + UUID.randomUUID();
        String obscured = Command.of("rclone", "obscure", password).run().stdout().strip();
        Path encrypted = node.node().newDirectory("crypt-backend");
        Path target = node.node().newVolumeDir("crypt");
        String remote = ":crypt,remote=" + encrypted + ",password=" + obscured + ":";
        // --daemon-wait 0: rclone's parent would wait for the mount in its own mountinfo,
        // where a mount in the host namespace never shows (FusermountStandInTest)
        node.container().command(List.of("rclone", "mount", remote, target.toString(), "--daemon", "--daemon-wait",
                "0", "--log-file", node.node().logDir().resolve("rclone.log").toString())).run();
        LiveMount.await(() -> node.host().isMounted(target), LIMIT, "rclone's mount on the host\n"
                + node.mounterd().log());
        node.host().run("sh", "-c", "echo sealed > \"$1\"", "sh", target.resolve("before.txt").toString());
        LiveMount.await(() -> savedCommand(target).contains("password=" + obscured), LIMIT,
                "the daemon's command saved, password included (it is run again with it)");
        Path stateFile = node.mounterd().stateDirFromOutside().resolve("mounts.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateFile)));

        DeviceNumber dead = node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElseThrow();
        ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals("rclone") && p.cmdline().contains(target.toString()) && !p.isZombie())
                .orElseThrow(() -> new AssertionError("no rclone daemon: " + node.container().processes()));
        ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);

        LiveMount.await(() -> {
            DeviceNumber now = node.host().mountinfo().at(target).map(MountInfo.Entry::device).orElse(null);
            return now != null && !now.equals(dead)
                    && node.host().exec("cat", target.resolve("before.txt").toString()).stdout().equals("sealed\n");
        }, LIMIT, "served again by the command run with its password\n" + node.mounterd().log());

        Map<String, String> shown = Map.of(
                "mounterd's log", node.mounterd().log(),
                "mounterctl list", node.container().run(node.dist().bin("mounterctl").toString(), "list", "-o", "json")
                        .stdout(),
                "/metrics", StatusPage.get(node.container().hostView(HTTP_SOCKET), "/metrics"),
                "/healthz", StatusPage.get(node.container().hostView(HTTP_SOCKET), "/healthz"));
        shown.forEach((where, text) -> {
            assertFalse(text.contains(obscured), "the obscured password in " + where + ":\n" + text);
            assertFalse(text.contains(password), "the password in " + where + ":\n" + text);
        });
        assertTrue(shown.get("mounterctl list").contains(target.toString()), shown.get("mounterctl list"));
        node.host().run("umount", target.toString());
    }

    private String savedCommand(Path target) {
        Object commands = LiveMount.stateFile(node).get("commands");
        return commands instanceof Map<?, ?> saved ? String.valueOf(saved.get(target.toString())) : "";
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The status endpoint starts on a thread of its own beside the mount socket; if its port is
 * taken, mounterd does not start at all: it says why, serves nothing and leaves no socket.
 */
class StatusPortTakenTest {
    private static final String SQUATTER = """
            import socket, time
            s = socket.socket()
            s.bind(("127.0.0.1", 9477))
            s.listen()
            print("listening", flush=True)
            time.sleep(120)
            """;

    @Test
    void aTakenStatusPortStopsTheStartWithAMessageAndNoSocket() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            node.stopMounterd();
            Path squatterLog = node.node().logDir().resolve("squatter.log");
            Process squatter = node.container().start(List.of("python3", "-c", SQUATTER), Map.of(), squatterLog);
            try {
                awaitLine(squatterLog, "listening", squatter);
                IllegalStateException refused = assertThrows(IllegalStateException.class, node::restartMounterd);
                assertTrue(refused.getMessage().contains("mounterd exited with 1"), refused.getMessage());
                assertTrue(refused.getMessage().contains("mounterd: cannot serve HTTP on 127.0.0.1:9477"),
                        refused.getMessage());
                assertFalse(Files.exists(node.mounterd().socketFromOutside()), "no socket was left");
            } finally {
                Processes.terminateTree(squatter.toHandle(), Duration.ofSeconds(5));
            }
            node.restartMounterd(); // the port free again: it starts and answers
        }
    }

    private static void awaitLine(Path log, String line, Process process) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!contains(log, line)) {
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the squatter did not listen: " + read(log));
            }
            Processes.sleep(Duration.ofMillis(20));
        }
    }

    private static boolean contains(Path log, String line) {
        return Files.exists(log) && read(log).contains(line);
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandTest {

    @Test
    void execCapturesStatusAndBothStreams() {
        CommandResult result = Command.of("sh", "-c", "echo out; echo err >&2; exit 3").exec();

        assertEquals(3, result.exitStatus());
        assertEquals("out\n", result.stdout());
        assertEquals("err\n", result.stderr());
        assertFalse(result.succeeded());
    }

    @Test
    void runThrowsWithTheCommandAndItsStderr() {
        CommandFailedException failure = assertThrows(CommandFailedException.class,
                () -> Command.of("sh", "-c", "echo no such thing >&2; exit 2").run());

        assertTrue(failure.getMessage().contains("exited 2"), failure.getMessage());
        assertTrue(failure.getMessage().contains("no such thing"), failure.getMessage());
        assertTrue(failure.getMessage().contains("'echo no such thing >&2; exit 2'"), failure.getMessage());
        assertEquals(2, failure.result().exitStatus());
    }

    @Test
    void timeoutKillsTheProcessTree() {
        CommandResult result = Command.of("sh", "-c", "sleep 30; true").withTimeout(Duration.ofMillis(200)).exec();

        assertTrue(result.timedOut());
        assertTrue(result.elapsed().compareTo(Duration.ofSeconds(5)) < 0, result.elapsed().toString());
    }

    @Test
    void inputAndEnvironmentReachTheProcess() {
        CommandResult result = Command.of("sh", "-c", "cat; echo \"$GREETING\"")
                .withEnvironment(Map.of("GREETING", "hello", "PATH", "/usr/bin:/bin"))
                .withInput("from stdin\n")
                .run();

        assertEquals("from stdin\nhello\n", result.stdout());
    }

    @Test
    void daemonHoldingStdoutDoesNotHangTheCaller() {
        // a daemonizing mount helper keeps the inherited stdout open; run() must still return
        CommandResult result = Command.of("sh", "-c", "sleep 3 & echo started")
                .withTimeout(Duration.ofSeconds(2)).run();

        assertEquals("started\n", result.stdout());
    }
}

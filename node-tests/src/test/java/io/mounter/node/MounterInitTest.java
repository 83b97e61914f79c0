package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * dist/bin/mounter-init, the image's PID 1, run here as a subreaper (it sets
 * PR_SET_CHILD_SUBREAPER when it is not PID 1) around small sh commands that stand in for
 * the entrypoint: it starts the command again whatever ends it, reaps orphans, passes
 * signals on, stops only on SIGTERM or SIGINT, and kills a command that does not answer
 * STATUS on the socket. The real image under kill -9 and SIGSTOP: e2e-tests. No privileges
 * needed.
 */
class MounterInitTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Path dir;
    private Process init;

    @BeforeEach
    void scratch() throws IOException {
        dir = Files.createTempDirectory("mounter-init-test-");
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (init != null) {
            Processes.killTree(init.toHandle());
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A command that records its pid in {@code starts} at each start, then runs {@code body}. */
    private Path command(String body) throws IOException {
        Path script = dir.resolve("command.sh");
        Files.writeString(script, "#!/bin/sh\necho $$ >> " + dir.resolve("starts") + "\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    /**
     * A line that creates {@code ready}: a signal sent before the command's trap is set
     * would end the shell instead (its pid is recorded before the body runs).
     */
    private String ready() {
        return "touch " + dir.resolve("ready") + "\n";
    }

    private Process start(Path command, Map<String, String> env) throws IOException {
        return start(List.of(Distribution.locate().bin("mounter-init").toString(), command.toString()), env);
    }

    private Process start(List<String> argv, Map<String, String> env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectOutput(Redirect.DISCARD)
                .redirectError(dir.resolve("init.log").toFile());
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("MOUNTER_CHECK_EVERY", "0");
        builder.environment().putAll(environment);
        init = builder.start();
        return init;
    }

    private List<Long> starts() throws IOException {
        Path file = dir.resolve("starts");
        List<Long> pids = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.strip()));
                }
            }
        }
        return pids;
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("init.log"), StandardCharsets.UTF_8);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + WAIT + ": " + what);
            Thread.sleep(20);
        }
    }

    private BooleanSupplier startedTimes(int count) {
        return () -> {
            try {
                return starts().size() >= count;
            } catch (IOException e) {
                return false;
            }
        };
    }

    @Test
    void startsTheCommandAgainWhenItIsKilledAndReapsWhatItOrphans() throws Exception {
        // the subshell's sleep is orphaned at once and reparents to mounter-init
        start(command("(sleep 0.2 &)\nexec sleep 1000"), Map.of());
        await("first start", startedTimes(1));
        long first = starts().get(0);

        ProcessHandle.of(first).orElseThrow().destroyForcibly();

        await("a second start after kill -9", startedTimes(2));
        assertTrue(init.isAlive(), "mounter-init ended with its command");
        assertTrue(log().contains("(pid " + first + ") killed by signal 9"), log());
        Thread.sleep(500); // the orphaned sleeps have ended by now
        List<ProcessHandle> zombies = init.children()
                .filter(child -> Processes.isZombie(child.pid())).toList();
        assertEquals(List.of(), zombies, "unreaped children of mounter-init");
    }

    @Test
    void waitsLongerBeforeEachRestartWhileTheCommandKeepsFailing() throws Exception {
        start(command("exit 3"), Map.of());
        await("four starts", startedTimes(4));
        String log = log();
        assertTrue(log.contains("exited with status 3 after"), log);
        int first = log.indexOf("starting it again in 200 ms");
        int second = log.indexOf("starting it again in 400 ms");
        int third = log.indexOf("starting it again in 800 ms");
        assertTrue(first >= 0 && second > first && third > second, log);
        assertTrue(init.isAlive(), "a failing command ended mounter-init");
    }

    @Test
    void passesSigtermOnAndEndsWithTheCommandsStatus() throws Exception {
        // the trap ends the sleep too: nothing of the test outlives it
        start(command("trap 'echo term > " + dir.resolve("got") + "; kill $!; exit 7' TERM\n" + ready()
                + "sleep 1000 & wait"), Map.of());
        await("the trap set", () -> Files.exists(dir.resolve("ready")));

        init.toHandle().destroy(); // SIGTERM

        assertTrue(init.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "mounter-init still runs after SIGTERM");
        assertEquals(7, init.exitValue(), log());
        assertEquals("term", Files.readString(dir.resolve("got")).strip());
        assertEquals(1, starts().size(), "started again while stopping: " + log());
    }

    @Test
    void otherSignalsArePassedOnWithoutStopping() throws Exception {
        start(command("trap 'echo hup >> " + dir.resolve("got") + "' HUP\n" + ready()
                + "while :; do sleep 0.05; done"), Map.of());
        await("the trap set", () -> Files.exists(dir.resolve("ready")));

        Command.of("kill", "-HUP", Long.toString(init.pid())).exec();

        await("SIGHUP passed on", () -> Files.exists(dir.resolve("got")));
        assertTrue(init.isAlive());
        assertEquals(1, starts().size(), log());
    }

    /** Started as nohup starts it, with SIGHUP ignored: an ignored signal would stay ignored across exec. */
    @Test
    void aSignalIgnoredWhereItStartedIsStillPassedOn() throws Exception {
        Path command = command("trap 'echo hup >> " + dir.resolve("got") + "' HUP\n" + ready()
                + "while :; do sleep 0.05; done");
        start(List.of("sh", "-c", "trap '' HUP; exec \"$0\" \"$@\"", Distribution.locate().bin("mounter-init").toString(),
                command.toString()), Map.of());
        await("the trap set", () -> Files.exists(dir.resolve("ready")));

        Command.of("kill", "-HUP", Long.toString(init.pid())).exec();

        await("SIGHUP passed on", () -> Files.exists(dir.resolve("got")));
        assertTrue(init.isAlive());
    }

    @Test
    void aCommandThatDoesNotAnswerStatusIsKilledAndStartedAgain() throws Exception {
        // nothing listens on this socket: every check fails
        start(command("exec sleep 1000"), Map.of(
                "MOUNTER_SOCKET", dir.resolve("nobody.sock").toString(),
                "MOUNTER_CHECK_EVERY", "1",
                "MOUNTER_CHECK_TIMEOUT", "1",
                "MOUNTER_CHECK_FAILURES", "2",
                "MOUNTER_CHECK_GRACE", "0"));
        await("first start", startedTimes(1));
        long first = starts().get(0);

        await("killed for not answering, and started again", startedTimes(2));
        assertTrue(log().contains("(pid " + first + ") gave no answer to 2 STATUS checks in a row: killing it"), log());
        assertFalse(Processes.isRunning(first), "the unanswering command still runs");
        assertTrue(init.isAlive());
    }

    @Test
    void aCommandThatRefusesStatusIsNotKilled() throws Exception {
        // a mounterd whose --allow-uid leaves out uid 0 refuses the check: an answer, no hang
        Path socket = dir.resolve("refuses.sock");
        AtomicInteger refused = new AtomicInteger();
        try (SeqpacketSocket listener = SeqpacketSocket.listen(socket.toString(), 0600, 4)) {
            Thread server = new Thread(() -> refuseEveryRequest(listener, refused), "refusing-server");
            server.setDaemon(true);
            server.start();
            start(command("exec sleep 1000"), Map.of(
                    "MOUNTER_SOCKET", socket.toString(),
                    "MOUNTER_CHECK_EVERY", "1",
                    "MOUNTER_CHECK_TIMEOUT", "1",
                    "MOUNTER_CHECK_FAILURES", "2",
                    "MOUNTER_CHECK_GRACE", "0"));

            await("four checks refused", () -> refused.get() >= 4);

            assertEquals(1, starts().size(), "killed for a refusal: " + log());
            assertFalse(log().contains("killing it"), log());
            assertTrue(init.isAlive());
            listener.shutdown(); // wakes the accept: the server ends before its socket closes
            server.join(WAIT.toMillis());
        }
    }

    private static void refuseEveryRequest(SeqpacketSocket listener, AtomicInteger refused) {
        try {
            while (true) {
                try (SeqpacketSocket connection = listener.accept()) {
                    Request request = MessageCodec.decodeRequest(connection.receive(Limits.MAX_REQUEST).payload());
                    connection.send(MessageCodec.encodeReply(Reply.to(request, Errno.EPERM, "uid 0 is not allowed")), -1);
                    refused.incrementAndGet();
                }
            }
        } catch (RuntimeException shutDown) {
            // the listener was shut down: the test is over
        }
    }

    @Test
    void aBadWatchdogSettingStopsItBeforeTheCommandStarts() throws Exception {
        start(command("exec sleep 1000"), Map.of("MOUNTER_CHECK_EVERY", "10s"));

        assertTrue(init.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(2, init.exitValue());
        assertTrue(log().contains("MOUNTER_CHECK_EVERY=10s: expected a whole number from 0 to 3600"), log());
        assertEquals(List.of(), starts());
    }
}

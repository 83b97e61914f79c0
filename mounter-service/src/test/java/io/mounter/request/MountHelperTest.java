package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.policy.Refusal;
import io.mounter.protocol.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** MountHelper with real processes (sh, setsid); no root needed. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MountHelperTest {
    private static final Duration LONG = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final MountHelper helper = new MountHelper(Map.of("MOUNTER_TEST_VALUE", "value-42"), 2);
    private final List<Long> strays = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        strays.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    private static List<String> sh(String script) {
        return List.of("sh", "-c", script);
    }

    @Test
    void theArgvIsMountsWithDashDashBeforeTheOperands() {
        assertEquals(List.of("mount", "-t", "fuse.sshfs", "-o", "ro", "--", "-odd:source", "/t"),
                MountHelper.argv("fuse.sshfs", "ro", "-odd:source", "/t"));
        assertEquals(List.of("mount", "-t", "glusterfs", "--", "h:/v", "/t"), MountHelper.argv("glusterfs", null, "h:/v",
                "/t"));
        assertEquals(List.of("mount", "-t", "glusterfs", "--", "h:/v", "/t"), MountHelper.argv("glusterfs", "", "h:/v",
                "/t"));
    }

    @Test
    void theExitStatusAndBothOutputStreamsComeBack() {
        MountHelper.Result result = helper.run(sh("echo out; echo err >&2; exit 3"), LONG);

        assertEquals(3, result.exitStatus());
        assertFalse(result.timedOut());
        assertTrue(result.output().contains("out\n"), result.output());
        assertTrue(result.output().contains("err\n"), result.output());
    }

    @Test
    void theHelperRunsInASessionOfItsOwnWithStdinFromDevNull() throws IOException {
        // setsid made the shell a session leader: its session id is its own pid
        MountHelper.Result result = helper.run(sh("cat; echo \"$$ $(cut -d' ' -f6 /proc/$$/stat)\""), LONG);

        assertEquals(0, result.exitStatus(), result.output());
        String[] pidAndSession = result.output().trim().split(" ");
        assertEquals(pidAndSession[0], pidAndSession[1], "pid and session id: " + result.output());
        assertTrue(Long.parseLong(pidAndSession[1]) != ProcessHandle.current().pid());
    }

    @Test
    void theGivenEnvironmentReachesTheHelper() {
        MountHelper.Result result = helper.run(sh("printf %s \"$MOUNTER_TEST_VALUE\""), LONG);
        assertEquals(new MountHelper.Result(0, false, "value-42"), result);
    }

    @Test
    void outputIsCutAtOutputMax() {
        MountHelper.Result result = helper.run(sh("head -c 20000 /dev/zero | tr '\\0' a"), LONG);
        assertEquals(0, result.exitStatus());
        assertEquals("a".repeat(Limits.OUTPUT_MAX), result.output());
    }

    @Test
    void aHangingHelperIsKilledWithItsWholeProcessGroupAtTheTimeout() throws IOException, InterruptedException {
        Path pids = dir.resolve("pids");
        long start = System.nanoTime();

        MountHelper.Result result = helper.run(sh("echo $$ > " + pids + ".tmp; sleep 100 & echo $! >> " + pids
                + ".tmp; sleep 100 & echo $! >> " + pids + ".tmp; mv " + pids + ".tmp " + pids + "; echo started; wait"),
                Duration.ofMillis(1000));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(result.timedOut());
        assertEquals(-1, result.exitStatus());
        assertTrue(elapsedMillis >= 1000 && elapsedMillis < 10_000, elapsedMillis + " ms");
        assertEquals("started\n", result.output(), "output up to the kill");
        List<Long> group = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        assertEquals(3, group.size(), "the shell and both sleeps: " + group);
        strays.addAll(group);
        for (long pid : group) {
            assertTrue(endsWithin(pid, Duration.ofSeconds(5)), "pid " + pid + " still runs");
        }
    }

    @Test
    void aHelperThatLeavesADaemonHoldingTheOutputReturnsWhenItExits() throws IOException {
        Path daemonPid = dir.resolve("daemon");
        long start = System.nanoTime();

        MountHelper.Result result = helper.run(sh("(sleep 5 & echo $! > " + daemonPid + "); echo mounted; exit 0"),
                Duration.ofSeconds(20));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        long daemon = Long.parseLong(Files.readString(daemonPid).trim());
        strays.add(daemon);
        assertEquals(new MountHelper.Result(0, false, "mounted\n"), result);
        assertTrue(elapsedMillis < 3000, "returned after " + elapsedMillis + " ms, not when the daemon ended");
        assertTrue(isRunning(daemon), "the daemon was left alone: a helper that ended is not killed");
    }

    @Test
    void beyondMaxRunningHelpersTheNextIsRefusedWithEagain() throws Exception {
        Path release = dir.resolve("release");
        String blocked = "touch " + dir + "/started-$$; while [ ! -e " + release + " ]; do sleep 0.02; done; exit 7";
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            Future<MountHelper.Result> first = callers.submit(() -> helper.run(sh(blocked), LONG));
            Future<MountHelper.Result> second = callers.submit(() -> helper.run(sh(blocked), LONG));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (startedHelpers() < 2) {
                assertTrue(System.nanoTime() < deadline, "both helpers started");
                Thread.sleep(10);
            }

            Refusal refusal = assertThrows(Refusal.class, () -> helper.run(sh("exit 0"), LONG));
            assertEquals(Errno.EAGAIN, refusal.errno());

            Files.createFile(release);
            assertEquals(7, first.get(10, TimeUnit.SECONDS).exitStatus());
            assertEquals(7, second.get(10, TimeUnit.SECONDS).exitStatus());
            assertEquals(0, helper.run(sh("exit 0"), LONG).exitStatus(), "room again once they ended");
        } finally {
            if (!Files.exists(release)) {
                Files.createFile(release);
            }
            callers.shutdown();
        }
    }

    @Test
    void aHelperThatCannotBeExecutedIsAnExitStatusNotAnException() {
        String missing = dir.resolve("mount.nonexistent").toString();
        MountHelper.Result result = helper.run(List.of(missing), LONG);
        assertEquals(127, result.exitStatus(), result.output());
        assertFalse(result.timedOut());
        assertTrue(result.output().contains(missing), result.output());
    }

    @Test
    void aTimedOutHelperGivesItsSlotBack() {
        MountHelper one = new MountHelper(Map.of(), 1);
        assertTrue(one.run(sh("exec sleep 10"), Duration.ofMillis(100)).timedOut());
        assertEquals(0, one.run(sh("exit 0"), LONG).exitStatus());
    }

    private long startedHelpers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("started-")).count();
        }
    }

    /** Gone, or a zombie nobody reaped yet (PID 1 of a container may not): no longer running. */
    private static boolean endsWithin(long pid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (isRunning(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}

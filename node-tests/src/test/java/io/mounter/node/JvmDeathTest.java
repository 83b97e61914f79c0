package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A JVM killed with SIGKILL runs no close(): the holders alone must take everything down. */
class JvmDeathTest {

    @Test
    void killedJvmLeavesNoProcessAndNoMount() throws IOException, InterruptedException {
        Privileged.assume();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                AbandonedNode.class.getName()).redirectErrorStream(true).start();
        // a child that hangs before READY is killed, which ends the read below
        CompletableFuture.runAsync(child::destroyForcibly, CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS));
        String ready = readyLine(child);
        List<String> words = Arrays.asList(ready.split(" "));
        Path dir = Path.of(words.get(1));
        List<Long> pids = words.subList(2, words.size()).stream().map(Long::parseLong).toList();
        // handles carry start times: the cleanup below can never hit a recycled pid
        List<ProcessHandle> handles = pids.stream().map(ProcessHandle::of).flatMap(Optional::stream).toList();
        try {
            assertTrue(pids.size() >= 5, "expected holders and FUSE daemons, got " + ready);

            child.destroyForcibly().waitFor();

            List<Long> survivors = new ArrayList<>();
            for (ProcessHandle handle : handles) {
                if (!Processes.waitForExit(handle, Duration.ofSeconds(5))) {
                    survivors.add(handle.pid());
                }
            }
            assertEquals(List.of(), survivors, "still running after the JVM died");
            assertEquals(List.of(), SimulatedNodeTest.mountsUnderAnywhere(dir));
        } finally {
            child.destroyForcibly();
            handles.forEach(ProcessHandle::destroyForcibly); // survivors exist only if the test failed
            handles.forEach(handle -> Processes.waitForExit(handle, Duration.ofSeconds(5)));
            if (SimulatedNodeTest.mountsUnderAnywhere(dir).isEmpty()) {
                Command.of("rm", "-rf", "--one-file-system", "--", dir.toString()).run();
            }
        }
    }

    private static String readyLine(Process child) throws IOException {
        BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line = output.readLine(); line != null; line = output.readLine()) {
            if (line.startsWith("READY ")) {
                return line;
            }
            seen.append(line).append('\n');
        }
        throw new IllegalStateException("the child JVM ended before READY:\n" + seen);
    }
}

package io.mounter.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The mount executor, pinned here in the test JVM's own mount namespace (needs
 * CAP_SYS_ADMIN). Only commands that change nothing run: this namespace is the machine's.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PinnedExecutorTest {
    private static final String OWN_NAMESPACE = "/proc/self/ns/mnt";
    private static final ContainedPath MISSING = new ContainedPath("/", "nonexistent-mounter-executor-test/x");

    private PinnedExecutor executor;

    @AfterEach
    void close() {
        if (executor != null) {
            executor.close();
        }
    }

    private PinnedExecutor start(int threads) {
        try {
            return PinnedExecutor.start(OWN_NAMESPACE, threads);
        } catch (SyscallException e) {
            Assumptions.abort("cannot setns or seccomp here (CAP_SYS_ADMIN needed): " + e.getMessage());
            return null;
        }
    }

    @Test
    void commandsRunInTheNamespaceAndTheirResultsComeBack() {
        executor = start(2);
        int fd = executor.execute(new HostCommand.OpenMountInfo());
        try {
            String mountinfo = new String(Syscalls.readFromStart(fd), StandardCharsets.UTF_8);
            assertTrue(mountinfo.lines().anyMatch(line -> line.split(" ")[4].equals("/")), "the namespace's own table");
        } finally {
            Syscalls.close(fd);
        }
        assertFalse(executor.execute(new HostCommand.DetachIf(MISSING, new DeviceNumber(0, 1))),
                "nothing at a missing target");
        assertFalse(NamespacePinning.isCurrentThreadPinned(), "the caller stays where it was");
    }

    @Test
    void failuresComeBackAsTheyWereAndTheExecutorServesOn() {
        executor = start(1);
        SyscallException missing = assertThrows(SyscallException.class, () -> executor.execute(
                new HostCommand.Mount(new AuthorizedMount("none", MISSING, "tmpfs", 0, null))));
        assertEquals(Errno.ENOENT, missing.errno());
        assertEquals("openat2", missing.op());
        assertThrows(SyscallException.class, () -> executor.execute(new HostCommand.Unmount(MISSING, 0, null)));
        Syscalls.close(executor.execute(new HostCommand.OpenMountInfo()));
    }

    @Test
    void manyCallersAtOnceEachGetTheirOwnResult() throws Exception {
        executor = start(3);
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                results.add(CompletableFuture.supplyAsync(
                        () -> executor.execute(new HostCommand.OpenMountInfo()), callers));
            }
            List<Integer> fds = new ArrayList<>();
            for (CompletableFuture<Integer> result : results) {
                fds.add(result.get());
            }
            assertEquals(fds.size(), fds.stream().distinct().count(), "each caller its own descriptor");
            fds.forEach(Syscalls::close);
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void theExecutorsThreadsAreNamedForTheHostNamespaceAndCarryTheSeccompFilter() throws IOException {
        Set<Path> before = hostNamespaceTasks();
        executor = start(2);
        List<String> pinned = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                if (before.contains(task)) {
                    continue; // an earlier test's executor thread, still ending after its join returned
                }
                String name = readOrEmpty(task.resolve("comm")).strip();
                String status = readOrEmpty(task.resolve("status"));
                if (name.startsWith("host-ns-")) {
                    pinned.add(name);
                    assertTrue(status.contains("Seccomp:\t2"), name + " runs under a seccomp filter:\n" + status);
                    assertTrue(status.contains("NoNewPrivs:\t1"), name + ": " + status);
                } else {
                    assertFalse(status.contains("Seccomp:\t2"), "only the executor's threads are filtered: " + name);
                }
            }
        }
        assertEquals(List.of("host-ns-0", "host-ns-1"), pinned.stream().sorted().toList());
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException gone) {
            return ""; // a thread that ended meanwhile
        }
    }

    @Test
    void aPinnedThreadCannotStartAThreadOrAProcess() throws Exception {
        AtomicReference<Throwable> threadStart = new AtomicReference<>();
        AtomicReference<Throwable> processStart = new AtomicReference<>();
        AtomicReference<Throwable> pinning = new AtomicReference<>();
        int namespace = NamespacePinning.openNamespace(OWN_NAMESPACE);
        // pinned as the executor pins its own threads, so the test can try what they never may
        Thread pinnedThread = new Thread(() -> {
            try {
                NamespacePinning.pinCurrentThread(namespace);
            } catch (RuntimeException e) {
                pinning.set(e);
                return;
            }
            threadStart.set(failureOf(() -> new Thread(() -> { }, "born-in-the-host-namespace").start()));
            processStart.set(failureOf(() -> new ProcessBuilder("true").start().waitFor()));
        }, "pinned-test");
        pinnedThread.start();
        pinnedThread.join();
        Syscalls.close(namespace);
        Assumptions.assumeTrue(pinning.get() == null, () -> "cannot pin here: " + pinning.get());

        assertTrue(threadStart.get() instanceof OutOfMemoryError, "pthread_create fails with EPERM: " + threadStart);
        assertTrue(processStart.get() instanceof IOException, "posix_spawn fails with EPERM: " + processStart);
        assertEquals(null, failureOf(() -> new ProcessBuilder("true").start().waitFor()),
                "a thread that is not pinned still may");
    }

    private interface Attempt {
        void run() throws Exception;
    }

    private static Throwable failureOf(Attempt attempt) {
        try {
            attempt.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    @Test
    void aNamespaceThatCannotBeOpenedFailsTheStartAndLeavesNoThread() throws IOException {
        Set<Path> before = hostNamespaceTasks();
        SyscallException e = assertThrows(SyscallException.class,
                () -> PinnedExecutor.start("/nonexistent/ns/mnt", 2));
        assertEquals(Errno.ENOENT, e.errno());
        Set<Path> started = new HashSet<>(hostNamespaceTasks());
        started.removeAll(before);
        assertEquals(Set.of(), started);
    }

    /**
     * The executor threads of this process now. A thread whose join has returned may still be
     * listed for a moment: the JVM marks it ended before the kernel thread exits.
     */
    private static Set<Path> hostNamespaceTasks() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.filter(task -> readOrEmpty(task.resolve("comm")).startsWith("host-ns-"))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void aClosedExecutorRefusesCommands() {
        executor = start(2);
        executor.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> executor.execute(new HostCommand.OpenMountInfo()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}

package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.executor.PinnedExecutor;
import io.mounter.observability.Health;
import io.mounter.observability.MountEvents;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.MountPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keeper's start on this machine's own mount namespace (pinned into it, which needs
 * CAP_SYS_ADMIN), with a state directory and an empty /proc of the test's: the start count,
 * and what an unreadable state file does.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TableKeeperTest {
    @TempDir
    Path dir;

    private PinnedExecutor executor;
    private final List<Long> startsReported = new ArrayList<>();
    private final Health health = new Health();

    @BeforeEach
    void pin() {
        try {
            executor = PinnedExecutor.start("/proc/self/ns/mnt", 1);
        } catch (SyscallException e) {
            org.junit.jupiter.api.Assumptions.abort("cannot setns here (CAP_SYS_ADMIN needed): " + e.getMessage());
        }
    }

    @AfterEach
    void close() {
        if (executor != null) {
            executor.close();
        }
    }

    private TableKeeper start() throws IOException {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        // a prefix nothing on this machine is mounted below: nothing to adopt
        MountPolicy policy = new MountPolicy(MountPolicy.DEFAULT_FSTYPES, List.of(dir.resolve("pods").toString()),
                Set.of(0));
        return TableKeeper.start(new TableKeeper.Parts(dir.resolve("state"), new MountTable(), policy, executor,
                proc, Optional.empty(), health, new MountEvents() {
                    @Override
                    public void staleMountCleaned(String target, String reason) {
                    }

                    @Override
                    public void started(long startCount) {
                        startsReported.add(startCount);
                    }
                }, Clock.systemUTC(), (dead, argv) -> {
                    throw new AssertionError("no FUSE daemon dies here: " + dead);
                }));
    }

    @Test
    void eachStartIsCountedSavedAndReported() throws IOException {
        Files.createDirectories(dir.resolve("state"));
        for (int i = 1; i <= 3; i++) {
            TableKeeper keeper = start();
            assertEquals(i, keeper.starts());
            assertTrue(keeper.stop());
        }
        assertEquals(List.of(1L, 2L, 3L), startsReported);
        assertEquals(3, new StateStore(dir.resolve("state")).load().starts());
        assertTrue(health.isHealthy(), health.summary());
    }

    @Test
    void anUnreadableStateFileIsKeptAsideAndHealthSaysSoUntilTheNextStart() throws IOException {
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.writeString(state.resolve("mounts.json"), "{\"version\": 1, \"starts\": 9, \"mounts\": [");
        TableKeeper keeper = start();
        try {
            assertEquals(1, keeper.starts(), "the count starts again");
            assertEquals("{\"version\": 1, \"starts\": 9, \"mounts\": [", Files.readString(state.resolve("mounts.json.bad")));
            assertEquals(1, new StateStore(state).load().starts(), "a fresh state is saved");
            assertTrue(health.summary().startsWith("degraded: state-file: state file "), health.summary());
            assertTrue(health.summary().contains("kept as " + state.resolve("mounts.json.bad")), health.summary());
        } finally {
            keeper.stop();
        }
    }
}

package io.mounter.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.executor.NamespaceCommand;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.SyscallException;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.MountState;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DaemonRespawn's decisions with the kernel steps faked (the real ones: node-tests
 * DaemonDeathTest, CrashRestartTest, e2e ContainerReplacedTest): the command runs with the
 * target swapped for a staging directory, the mount made there replaces the dead record, a
 * failed command is tried again later until it works or the dead mount leaves the table, and
 * a command that cannot be run is not tried at all.
 */
class DaemonRespawnTest {
    private static final DeviceNumber DEAD = new DeviceNumber(0, 70);
    private static final DeviceNumber FRESH = new DeviceNumber(0, 71);

    @TempDir
    Path dir;

    private final MountTable table = new MountTable();
    private final List<String> moves = new CopyOnWriteArrayList<>();
    private final List<List<String>> runs = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile SyscallException moveBeneathFails;
    private DaemonRespawn respawn;

    /** The executor's steps, recorded: a move beneath gives the fresh device. */
    private final MountExecutor executor = new MountExecutor() {
        @Override
        @SuppressWarnings("unchecked")
        public <R> R execute(HostCommand<R> command) {
            if (command instanceof HostCommand.MoveBeneath move) {
                if (moveBeneathFails != null) {
                    throw moveBeneathFails;
                }
                moves.add(move.from().full() + " -> " + move.to().full() + " over " + move.dead());
                return (R) FRESH;
            }
            if (command instanceof HostCommand.Unmount) {
                return null; // the staging mount of a failed try, detached
            }
            throw new AssertionError("not expected here: " + command);
        }

        @Override
        public <R> R executeIn(String namespacePath, NamespaceCommand<R> command) {
            throw new AssertionError("no pod holds anything here: " + command);
        }
    };

    @AfterEach
    void stop() {
        if (respawn != null) {
            respawn.close();
        }
    }

    /** The daemon's command: fails while failuresLeft is above 0, else "mounts" on its last argument. */
    private int run(List<String> argv) {
        runs.add(argv);
        if (failuresLeft.getAndDecrement() > 0) {
            return 1;
        }
        String staging = argv.get(argv.size() - 1);
        table.add(new MountRecord(new MountEntry("src", staging, "fuse", 9, 1, 0), FRESH));
        return 0;
    }

    private MountRecord deadMount(String name) throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("pods"));
        MountRecord dead = new MountRecord(new MountEntry("src", prefix.resolve(name).toString(), "fuse", 5, 3, 0), DEAD);
        table.add(dead);
        MountPolicy policy = new MountPolicy(MountPolicy.DEFAULT_FSTYPES, List.of(prefix.toString()), Set.of(0));
        Path noProcesses = Files.createDirectories(dir.resolve("proc"));
        respawn = new DaemonRespawn(table, policy, executor, (argv, timeout) -> run(argv),
                new PodRepair(executor, noProcesses, Set.of()), Duration.ofMillis(50));
        return dead;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void theCommandRunsOnAStagingDirectoryAndItsMountReplacesTheDeadRecord() throws Exception {
        MountRecord dead = deadMount("vol");
        String target = dead.entry().target();

        respawn.respawn(dead, List.of("bindfs", "/src", target));

        await(() -> moves.size() == 1, "moved beneath");
        String staging = runs.get(0).get(2);
        assertTrue(staging.startsWith(dir.resolve("pods").resolve(DaemonRespawn.STAGING) + "/"), staging);
        assertEquals(List.of(staging + " -> " + target + " over " + DEAD), moves);
        await(() -> table.snapshot().size() == 1 && table.snapshot().get(0).device().equals(FRESH), "replaced");
        MountRecord now = table.snapshot().get(0);
        assertEquals(target, now.entry().target());
        assertEquals(dead.entry().requesterPid(), now.entry().requesterPid());
        assertEquals(List.of("bindfs", "/src", target), table.commandFor(target), "the command kept names the target");
        await(() -> !Files.exists(Path.of(staging)), "the staging directory removed");
    }

    @Test
    void aFailingCommandIsTriedAgainUntilItWorks() throws Exception {
        MountRecord dead = deadMount("vol");
        failuresLeft.set(2); // the server is unreachable twice

        respawn.respawn(dead, List.of("sshfs", "srv:/", dead.entry().target()));

        await(() -> runs.size() >= 1 && stateOf(dead.entry().target()).state() == MountState.RECOVERING,
                "reported as recovering after the first failure");
        assertTrue(stateOf(dead.entry().target()).stateReason().startsWith("its command exited with 1; next try in"),
                stateOf(dead.entry().target()).stateReason());
        await(() -> moves.size() == 1, "moved beneath after the third run");
        assertEquals(3, runs.size());
        await(() -> stateOf(dead.entry().target()).state() == MountState.SERVING, "the fresh mount serves");
        assertEquals("", stateOf(dead.entry().target()).stateReason());
    }

    private MountEntry stateOf(String target) {
        return table.withStates().stream().map(MountRecord::entry).filter(e -> e.target().equals(target))
                .findFirst().orElseThrow();
    }

    /** Kernels before 6.5 answer MOVE_MOUNT_BENEATH with EINVAL: dead, not retried for ever. */
    @Test
    void aKernelWithoutMoveMountBeneathLeavesTheMountDeadWithoutMoreTries() throws Exception {
        moveBeneathFails = new SyscallException("move_mount", "3, , 4, ", Errno.EINVAL, "Invalid argument");
        MountRecord dead = deadMount("vol");

        respawn.respawn(dead, List.of("bindfs", "/src", dead.entry().target()));

        await(() -> stateOf(dead.entry().target()).state() == MountState.DEAD, "reported as dead");
        assertTrue(stateOf(dead.entry().target()).stateReason().contains("kernels before 6.5"),
                stateOf(dead.entry().target()).stateReason());
        Thread.sleep(300);
        assertEquals(1, runs.size(), "not tried again");
    }

    @Test
    void noMoreTriesOnceTheDeadMountLeftTheTable() throws Exception {
        MountRecord dead = deadMount("vol");
        failuresLeft.set(Integer.MAX_VALUE);

        respawn.respawn(dead, List.of("sshfs", "srv:/", dead.entry().target()));
        await(() -> runs.size() >= 2, "tried again");
        table.remove(dead); // kubelet unmounted it
        Thread.sleep(300);
        int tries = runs.size();
        Thread.sleep(500);
        assertEquals(tries, runs.size(), "no further tries");
        assertEquals(List.of(), moves);
    }

    @Test
    void aCommandThatDoesNotNameTheTargetOnceIsNeverRun() throws Exception {
        MountRecord dead = deadMount("vol");

        respawn.respawn(dead, List.of("daemon", "--serve"));
        respawn.respawn(dead, List.of("daemon", dead.entry().target(), dead.entry().target()));
        Thread.sleep(300);

        assertEquals(List.of(), runs);
        assertEquals(List.of(dead), table.snapshot());
        assertEquals(MountState.DEAD, stateOf(dead.entry().target()).state(), "reported as dead for good");
        assertEquals("its daemon's command line does not name the target once",
                stateOf(dead.entry().target()).stateReason());
    }
}

package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.observability.MountEvents;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.linux.PollSet;
import io.mounter.linux.Syscalls;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.MountState;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The watcher's thread against fakes of the host (an eventfd stands in for mountinfo's
 * POLLPRI), of the /proc scan and of the detach, with real processes as FUSE daemons so that
 * real pidfds report their exits.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MountWatcherTest {
    private static final Duration RECHECK = Duration.ofMillis(50);
    private static final Duration GRACE = Duration.ofMillis(300);
    private static final String POD = "/var/lib/kubelet/pods/p/volumes/";

    private final MountTable table = new MountTable();
    private final FakeHost host = new FakeHost();
    private final FakeHolders holders = new FakeHolders();
    private final List<String> detached = new CopyOnWriteArrayList<>();
    /** What the respawner was asked: the target and the daemon's command line. */
    private final List<String> respawned = new CopyOnWriteArrayList<>();
    private final List<String> cleaned = new CopyOnWriteArrayList<>();
    private final List<Process> daemons = new ArrayList<>();
    private volatile RuntimeException detachFailure;
    private MountWatcher watcher;

    /** mountinfo as a list the test sets; a change signals an eventfd the watcher polls. */
    private static final class FakeHost implements HostMounts {
        final int eventFd = Syscalls.eventfd(Syscalls.EFD_CLOEXEC | Syscalls.EFD_NONBLOCK);
        volatile List<MountInfo.Entry> mounts = List.of();
        final AtomicInteger reads = new AtomicInteger();

        void change(List<MountInfo.Entry> now) {
            mounts = List.copyOf(now);
            Syscalls.signal(eventFd);
        }

        @Override
        public int pollFd() {
            return eventFd;
        }

        @Override
        public int changeEvents() {
            return PollSet.POLLIN;
        }

        @Override
        public void acknowledge() {
            Syscalls.drain(eventFd);
        }

        @Override
        public List<MountInfo.Entry> read() {
            reads.incrementAndGet();
            return mounts;
        }
    }

    private static final class FakeHolders implements MountWatcher.Holders {
        final Map<Integer, List<Integer>> byConnection = new ConcurrentHashMap<>();
        /** Each daemon's command line; a pid not here has one that names no target. */
        final Map<Integer, List<String>> commands = new ConcurrentHashMap<>();
        final AtomicInteger scans = new AtomicInteger();

        @Override
        public Map<Integer, List<Integer>> byConnection() {
            scans.incrementAndGet();
            return Map.copyOf(byConnection);
        }

        @Override
        public boolean holds(int pid, int connection) {
            return byConnection.getOrDefault(connection, List.of()).contains(pid);
        }

        @Override
        public List<String> commandLine(int pid) {
            return commands.getOrDefault(pid, List.of("daemon-" + pid));
        }
    }

    @AfterEach
    void stop() {
        if (watcher != null) {
            watcher.close();
        }
        daemons.forEach(Process::destroyForcibly);
        Syscalls.closeQuietly(host.eventFd);
    }

    private void startWatcher() {
        startWatcher((int) ProcessHandle.current().pid());
    }

    private void startWatcher(int selfPid) {
        watcher = new MountWatcher(table, host, holders, (target, device) -> {
            if (detachFailure != null) {
                throw detachFailure;
            }
            detached.add(target + " " + device);
            return true;
        }, (dead, argv) -> respawned.add(dead.entry().target() + " " + String.join(" ", argv)), new MountEvents() {
            @Override
            public void staleMountCleaned(String target, String reason) {
                cleaned.add(target + ": " + reason);
            }

            @Override
            public void started(long startCount) {
            }
        }, selfPid, RECHECK, GRACE);
        table.setListener(added -> watcher.wake());
        watcher.start();
    }

    private static MountRecord fuse(String name, int connection) {
        return new MountRecord(new MountEntry("src", POD + name, "fuse.sshfs", 1, 2, 0), new DeviceNumber(0, connection));
    }

    /** A FUSE record in the table, its mount shown on the host. */
    private MountRecord recorded(String name, int connection) {
        MountRecord record = fuse(name, connection);
        table.add(record);
        host.change(List.of(shown(record)));
        return record;
    }

    private static MountInfo.Entry shown(MountRecord record) {
        return new MountInfo.Entry(100, 29, record.device(), "/", record.entry().target(), record.entry().fstype(),
                record.entry().source());
    }

    private int daemon() throws IOException {
        Process process = new ProcessBuilder("sleep", "60").start();
        daemons.add(process);
        return (int) process.pid();
    }

    private static void kill(int pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Test
    void aRecordWhoseMountWentFromTheHostLeavesTheTable() throws IOException {
        MountRecord kept = fuse("kept", 50);
        MountRecord unmounted = fuse("unmounted", 51);
        table.addAll(List.of(kept, unmounted));
        host.change(List.of(shown(kept), shown(unmounted)));
        holders.byConnection.put(50, List.of(daemon()));
        holders.byConnection.put(51, List.of(daemon()));
        startWatcher();

        host.change(List.of(shown(kept)));
        Await.until(() -> table.size() == 1 && cleaned.size() == 1, "the unmounted record dropped and reported");
        assertTrue(table.snapshot().get(0) == kept);
        assertEquals(List.of(POD + "unmounted: " + MountWatcher.UNMOUNTED_ON_HOST), cleaned);
        assertEquals(List.of(), detached, "nothing to detach: the host unmounted it");
    }

    /** Never a detach: a restarted pod container would bind the bare directory and write to the node's disk. */
    /** A directory above the target renamed (a symlink race swaps it) moves the mount point along. */
    @Test
    void aMountShownUnderAnotherPathIsStillThere() {
        MountRecord record = fuse("renamed", 52);
        MountInfo.Entry moved = new MountInfo.Entry(100, 29, record.device(), "/", POD + "renamed.alt",
                record.entry().fstype(), record.entry().source());

        assertEquals(List.of(), MountWatcher.missing(List.of(record), List.of(moved)));
        assertEquals(List.of(record), MountWatcher.missing(List.of(record), List.of()));
    }

    @Test
    void aDaemonThatExitsWithNoOtherHolderHasItsCommandRunAgainAndItsMountIsNotDetached()
            throws IOException, InterruptedException {
        MountRecord record = fuse("a", 60);
        MountRecord other = fuse("b", 61);
        table.addAll(List.of(record, other));
        host.change(List.of(shown(record), shown(other)));
        int pid = daemon();
        holders.byConnection.put(60, List.of(pid));
        holders.commands.put(pid, List.of("daemon", POD + "a"));
        holders.byConnection.put(61, List.of(daemon()));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1, "daemons looked up");
        Thread.sleep(GRACE.toMillis() * 2);
        assertEquals(List.of(), detached, "served mounts stay");

        holders.byConnection.remove(60);
        kill(pid);
        Await.until(() -> respawned.size() == 1, "respawn asked for");
        assertEquals(List.of(POD + "a daemon " + POD + "a"), respawned);
        Thread.sleep(GRACE.toMillis() * 2);
        assertEquals(List.of(), detached, "a dead mount is never detached");
        assertEquals(List.of(), cleaned);
        assertEquals(2, table.size(), "the dead record stays until the respawner replaces it");
        assertEquals(1, respawned.size(), "asked once");
        assertEquals(List.of(MountState.RECOVERING, MountState.SERVING),
                table.withStates().stream().map(r -> r.entry().state()).toList(), "reported as recovering");
    }

    @Test
    void anotherHolderOfTheConnectionKeepsTheMount() throws IOException, InterruptedException {
        MountRecord record = recorded("a", 70);
        int parent = daemon();
        int child = daemon();
        holders.byConnection.put(70, List.of(parent, child));
        holders.commands.put(parent, List.of("daemon", "--parent", POD + "a"));
        holders.commands.put(child, List.of("daemon", "--child", POD + "a"));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1, "daemons looked up");

        holders.byConnection.put(70, List.of(child));
        kill(parent); // a daemonizing parent exits; its forked child serves on
        Thread.sleep(GRACE.toMillis() * 3);
        assertEquals(List.of(), detached);
        assertEquals(1, table.size());

        holders.byConnection.remove(70);
        kill(child);
        Await.until(() -> respawned.size() == 1, "respawn asked for once the last holder died");
        assertEquals(List.of(POD + "a daemon --child " + POD + "a"), respawned, "the last daemon's command");
        assertEquals(List.of(), detached);
    }

    /** A daemon whose command is not to be run (a user's, or one not naming its target). */
    @Test
    void aServedMountWithoutACommandToRunStaysDeadAndIsNotDetached() throws IOException, InterruptedException {
        MountRecord record = recorded("a", 75);
        int pid = daemon(); // its command line names no target
        holders.byConnection.put(75, List.of(pid));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1, "daemons looked up");
        Thread.sleep(GRACE.toMillis() * 2); // served for a while: a daemon, not a client that died at once

        holders.byConnection.remove(75);
        kill(pid);
        Thread.sleep(GRACE.toMillis() * 4);
        assertEquals(List.of(), detached, "a served mount is never detached");
        assertEquals(List.of(), respawned);
        assertEquals(1, table.size());
        assertEquals(MountState.DEAD, table.withStates().get(0).entry().state(), "reported as dead");
    }

    /** A client that held its descriptor only a moment (killed mid-request) served nothing: detached. */
    @Test
    void aHolderThatDiesAtOnceServedNothingAndItsMountIsDetached() throws IOException, InterruptedException {
        MountRecord record = recorded("a", 77);
        int pid = daemon();
        holders.byConnection.put(77, List.of(pid));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1, "daemons looked up");

        holders.byConnection.remove(77);
        kill(pid);
        Await.until(() -> detached.size() == 1, "detached");
        assertEquals(List.of(), respawned);
        assertEquals(0, table.size());
    }

    /** After a restart no daemon was seen here, but the state kept the command: run again, never detached. */
    @Test
    void aKeptCommandIsRunAgainForAMountWhoseDaemonIsGoneAtStart() throws InterruptedException {
        MountRecord record = fuse("restarted", 76);
        table.add(record);
        table.setCommand(POD + "restarted", List.of("daemon", POD + "restarted"));
        host.change(List.of(shown(record)));
        startWatcher();
        Await.until(() -> respawned.size() == 1, "respawn asked for");
        assertEquals(List.of(POD + "restarted daemon " + POD + "restarted"), respawned);
        assertEquals(List.of(), detached);
    }

    @Test
    void aRecordWhoseDaemonIsNeverFoundIsDeadAfterTheGrace() throws InterruptedException {
        MountRecord record = recorded("orphan", 80);
        long start = System.nanoTime();
        startWatcher();
        Thread.sleep(GRACE.toMillis() / 2);
        assertEquals(List.of(), detached, "not before the grace: the daemon may not have forked yet");
        Await.until(() -> detached.size() == 1, "detached");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= GRACE.toMillis(), "after " + millis + " ms");
        assertEquals(0, table.size());
    }

    @Test
    void mounterdsOwnCopyOfTheDescriptorIsNoDaemon() throws IOException {
        MountRecord record = recorded("in-flight", 81);
        int self = daemon(); // stands in for mounterd itself
        holders.byConnection.put(81, List.of(self));
        startWatcher(self);
        Await.until(() -> detached.size() == 1, "detached though mounterd holds the descriptor");
    }

    @Test
    void aFailedDetachKeepsTheRecordAndIsNotRetriedInALoop() throws InterruptedException {
        detachFailure = new IllegalStateException("umount2: EINVAL");
        table.add(fuse("stuck", 82));
        host.change(List.of(shown(table.snapshot().get(0))));
        startWatcher();
        Thread.sleep(GRACE.toMillis() * 4);
        assertEquals(1, table.size());
        int scans = holders.scans.get();
        Thread.sleep(GRACE.toMillis() * 2);
        assertEquals(scans, holders.scans.get(), "given up: no more scans");
    }

    @Test
    void aClaimedRecordIsLeftToTheRequestThatUnmountsIt() throws IOException, InterruptedException {
        MountRecord record = recorded("a", 90);
        holders.byConnection.put(90, List.of(daemon()));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1, "daemons looked up");

        MountRecord claimed = table.claimNewest(POD + "a");
        host.change(List.of());
        Thread.sleep(GRACE.toMillis());
        assertEquals(1, table.size(), "the watcher does not take a record a request is unmounting");
        assertEquals(List.of(), cleaned);
        table.remove(claimed);
    }

    @Test
    void withNothingPendingTheWatcherSleepsUntilSomethingHappens() throws IOException, InterruptedException {
        MountRecord record = recorded("a", 95);
        holders.byConnection.put(95, List.of(daemon()));
        startWatcher();
        Await.until(() -> holders.scans.get() >= 1 && host.reads.get() >= 1, "first look");
        Thread.sleep(200);
        int reads = host.reads.get();
        int scans = holders.scans.get();
        long wakeUps = watcher.wakeUps();
        Thread.sleep(1500);
        assertEquals(reads, host.reads.get(), "no mountinfo reads without a change");
        assertEquals(scans, holders.scans.get(), "no /proc scans without a change");
        assertEquals(wakeUps, watcher.wakeUps(), "no wake-ups at all without a change");

        MountRecord added = fuse("b", 96);
        holders.byConnection.put(96, List.of(daemon()));
        host.change(List.of(shown(record), shown(added)));
        table.add(added);
        Await.until(() -> holders.scans.get() > scans && host.reads.get() > reads, "a change wakes it");
    }
}

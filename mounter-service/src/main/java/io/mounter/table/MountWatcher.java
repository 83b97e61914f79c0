package io.mounter.table;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import io.mounter.linux.PollSet;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.observability.MountEvents;
import io.mounter.protocol.MountState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the table true while the host changes, from one thread that sleeps in poll(2)
 * until something happens:
 * <ul>
 *   <li>the host's mountinfo reports a change: records whose mount is gone (kubelet
 *       unmounted it on the host) leave the table;</li>
 *   <li>a FUSE mount's daemon exits (its pidfd becomes readable) and no other process holds
 *       the connection for {@link #DAEMON_GRACE}: the mount is dead ("Transport endpoint is
 *       not connected" for ever). It is never detached, which would leave a bare directory
 *       for a restarted pod container to write into: the daemon's command is run again
 *       ({@link Respawner}), and until that works the mount stays dead;</li>
 *   <li>a FUSE record whose daemon is never found within {@link #DAEMON_GRACE} was never
 *       served (its creator died before serving, e.g. a client killed mid-request, or
 *       mounterd started after the daemon died): it is detached in the host namespace and
 *       leaves the table.</li>
 * </ul>
 * While some FUSE record has no daemon found yet, poll wakes every {@link #RECHECK} to look
 * again (daemons fork after mounting; a descriptor may be in flight between processes);
 * with none pending it waits without a timeout. Changes are let settle ({@link #SETTLE},
 * {@link #MOUNTS_SETTLE} for the host's mountinfo) before they are looked at, so a burst of
 * mounts costs one look, not one per mount.
 */
final class MountWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MountWatcher.class);
    static final Duration RECHECK = Duration.ofMillis(500);
    static final Duration DAEMON_GRACE = Duration.ofSeconds(2);
    static final Duration SETTLE = Duration.ofMillis(50);
    /** Longer for mountinfo: kubelet changes the host's mounts all the time, and a read costs. */
    static final Duration MOUNTS_SETTLE = Duration.ofMillis(100);
    static final String UNMOUNTED_ON_HOST = "unmounted on the host";
    static final String DAEMON_DIED = "FUSE daemon died";
    static final String NEVER_SERVED = "no FUSE daemon serves it";
    private static final long NOT_DUE = Long.MAX_VALUE;

    /** Finds the processes holding FUSE connections (a /proc scan of the mount container). */
    interface Holders {
        /** Connection id to the pids holding a /dev/fuse descriptor of it. */
        Map<Integer, List<Integer>> byConnection();

        /** Whether {@code pid} holds a descriptor of {@code connection} now. */
        boolean holds(int pid, int connection);

        /** The argv of {@code pid}; empty once it is gone. */
        List<String> commandLine(int pid);
    }


    /** Detaches a dead mount in the host namespace. */
    interface Detacher {
        /**
         * Detaches the mount on {@code target} if it is the filesystem {@code device}.
         *
         * @return false if another filesystem, or none, is mounted there now
         * @throws RuntimeException if the detach failed
         */
        boolean detach(String target, DeviceNumber device);
    }

    /** What the watcher knows of one FUSE record's daemon. */
    private static final class Daemon {
        int pid;
        int pidfd = -1;
        long missingSince = -1;
        boolean givenUp;
        /** When a daemon was first found holding the connection in this process; -1: never. */
        long foundAt = -1;

        /**
         * Whether a daemon held the connection for a grace period at least: a real daemon,
         * not a client that died with its descriptor right after its mount.
         */
        boolean served(long grace) {
            return foundAt >= 0 && missingSince - foundAt >= grace;
        }
    }

    private final MountTable table;
    private final HostMounts host;
    private final Holders holders;
    private final Detacher detacher;
    private final Respawner respawner;
    private final MountEvents events;
    private final int selfPid;
    private final long recheckNanos;
    private final long graceNanos;
    private final int wakeFd;
    private final Map<MountRecord, Daemon> daemons = new IdentityHashMap<>();
    private final PollSet pollSet = new PollSet();
    private final Thread thread;
    private volatile boolean closed;
    private volatile long wakeUps;

    MountWatcher(MountTable table, HostMounts host, Holders holders, Detacher detacher, Respawner respawner,
                 MountEvents events, int selfPid, Duration recheck, Duration grace) {
        this.table = table;
        this.host = host;
        this.holders = holders;
        this.detacher = detacher;
        this.respawner = respawner;
        this.events = events;
        this.selfPid = selfPid;
        this.recheckNanos = recheck.toNanos();
        this.graceNanos = grace.toNanos();
        this.wakeFd = Syscalls.eventfd(Syscalls.EFD_CLOEXEC | Syscalls.EFD_NONBLOCK);
        this.thread = new Thread(this::run, "mount-watcher");
        thread.setDaemon(true);
    }

    /** Starts the watcher's thread. */
    void start() {
        thread.start();
    }

    /**
     * The table changed: look at its FUSE records soon. Quick and non-blocking (one write to
     * an eventfd), so the table's listener may call it on a connection worker.
     */
    synchronized void wake() {
        // under the lock, so that close() cannot close the eventfd between check and write
        if (!closed) {
            Syscalls.signal(wakeFd);
        }
    }

    private void run() {
        long now = System.nanoTime();
        long mountsDue = now;
        long daemonsDue = now;
        while (!closed) {
            now = System.nanoTime();
            try {
                if (mountsDue != NOT_DUE && now - mountsDue >= 0) {
                    mountsDue = NOT_DUE;
                    reconcileMounts();
                }
                if (daemonsDue != NOT_DUE && now - daemonsDue >= 0) {
                    daemonsDue = lookUpDaemons(now) ? now + recheckNanos : NOT_DUE;
                }
                // while a look at the host is due anyway, further changes need not wake this
                // thread: a burst of mounts costs one wake-up and one read, not one per mount
                boolean watchHost = mountsDue == NOT_DUE;
                List<MountRecord> watched = fillPollSet(watchHost);
                pollSet.poll(timeoutMillis(Math.min(mountsDue, daemonsDue)));
                wakeUps++;
                now = System.nanoTime();
                if (pollSet.revents(0) != 0) {
                    Syscalls.drain(wakeFd);
                    daemonsDue = Math.min(daemonsDue, now + SETTLE.toNanos());
                }
                if (watchHost && pollSet.revents(1) != 0) {
                    host.acknowledge();
                    mountsDue = now + MOUNTS_SETTLE.toNanos();
                }
                if (daemonExited(watched, watchHost ? 2 : 1)) {
                    daemonsDue = Math.min(daemonsDue, now);
                }
            } catch (RuntimeException e) {
                // a bug or an unreadable mountinfo: log, and look again a little later
                log.atError().setMessage("watch failed").addKeyValue("op", "WATCH").setCause(e).log();
                pause(recheckNanos);
                mountsDue = System.nanoTime();
                daemonsDue = mountsDue;
            }
        }
    }

    private static void pause(long nanos) {
        try {
            Thread.sleep(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int timeoutMillis(long due) {
        if (due == NOT_DUE) {
            return -1;
        }
        long left = due - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.max(1, (left + 999_999) / 1_000_000);
    }

    /**
     * Index 0: the wake eventfd, 1: mountinfo if {@code watchHost}, then one pidfd per watched
     * daemon (returned in order).
     */
    private List<MountRecord> fillPollSet(boolean watchHost) {
        pollSet.clear();
        pollSet.add(wakeFd, PollSet.POLLIN);
        if (watchHost) {
            pollSet.add(host.pollFd(), host.changeEvents());
        }
        List<MountRecord> watched = new ArrayList<>();
        daemons.forEach((record, daemon) -> {
            if (daemon.pidfd >= 0) {
                pollSet.add(daemon.pidfd, PollSet.POLLIN);
                watched.add(record);
            }
        });
        return watched;
    }

    /** Closes the pidfds of daemons that exited (polled from index {@code first} on); true if any did. */
    private boolean daemonExited(List<MountRecord> watched, int first) {
        boolean any = false;
        for (int i = 0; i < watched.size(); i++) {
            if (pollSet.revents(first + i) != 0) {
                Daemon daemon = daemons.get(watched.get(i));
                log.atDebug().setMessage("daemon exited").addKeyValue("op", "WATCH")
                        .addKeyValue("target", watched.get(i).entry().target()).addKeyValue("pid", daemon.pid).log();
                Syscalls.closeQuietly(daemon.pidfd);
                daemon.pidfd = -1;
                any = true;
            }
        }
        return any;
    }

    /** Drops the records whose mount the host no longer shows. */
    private void reconcileMounts() {
        long generation = table.generation();
        List<MountRecord> settled = table.settledBy(generation);
        if (settled.isEmpty()) {
            return; // nothing recorded: the host's table (thousands of lines on a busy node) is not read
        }
        List<MountRecord> missing = missing(settled, host.read());
        if (missing.isEmpty()) {
            return;
        }
        // a second look, so that a table read while it changed cannot make a live mount go
        missing = missing(missing, host.read());
        for (MountRecord record : missing) {
            if (table.remove(record)) {
                forget(record);
                log.atInfo().setMessage("forgotten").addKeyValue("op", "WATCH")
                        .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                        .addKeyValue("reason", UNMOUNTED_ON_HOST).log();
                events.staleMountCleaned(record.entry().target(), UNMOUNTED_ON_HOST);
            }
        }
    }

    /**
     * The records no line of {@code mounts} shows: by device when it is known, wherever it is
     * mounted (a directory above the target renamed, as a symlink race does, moves the mount
     * point with it: the mount is still there, and still mounterd's to unmount); else by
     * target, fstype and source.
     */
    static List<MountRecord> missing(List<MountRecord> records, List<MountInfo.Entry> mounts) {
        List<MountRecord> missing = new ArrayList<>();
        for (MountRecord record : records) {
            boolean shown = false;
            for (MountInfo.Entry mount : mounts) {
                if (record.device() != null ? record.device().equals(mount.device())
                        : TableRebuild.isSameMount(record, mount)) {
                    shown = true;
                    break;
                }
            }
            if (!shown) {
                missing.add(record);
            }
        }
        return missing;
    }

    /**
     * Finds a daemon for each FUSE record that has none, detaches those dead, and returns
     * whether some are still pending (no daemon yet, within the grace).
     */
    private boolean lookUpDaemons(long now) {
        List<MountRecord> fuse = trackFuseRecords();
        List<MountRecord> needed = fuse.stream().filter(r -> {
            Daemon daemon = daemons.get(r);
            return daemon.pidfd < 0 && !daemon.givenUp;
        }).toList();
        if (needed.isEmpty()) {
            return false;
        }
        Map<Integer, List<Integer>> found = holders.byConnection();
        boolean pending = false;
        for (MountRecord record : needed) {
            Daemon daemon = daemons.get(record);
            if (watch(record, daemon, found.getOrDefault(record.fuseConnection(), List.of()), now)) {
                continue;
            }
            if (daemon.missingSince < 0) {
                daemon.missingSince = now;
            }
            if (now - daemon.missingSince >= graceNanos) {
                List<String> command = table.commandFor(record.entry().target());
                if (!command.isEmpty()) {
                    respawn(record, daemon, command);
                } else if (daemon.served(graceNanos)) {
                    staysDead(record, daemon);
                } else {
                    detachDead(record, daemon);
                }
            } else {
                pending = true;
            }
        }
        return pending;
    }

    /**
     * Starts tracking new FUSE records and stops tracking records that left the table, or
     * that a request is unmounting (claimed) right now.
     */
    private List<MountRecord> trackFuseRecords() {
        List<MountRecord> fuse = table.settledBy(Long.MAX_VALUE).stream().filter(r -> r.fuseConnection() >= 0)
                .toList();
        Set<MountRecord> current = Collections.newSetFromMap(new IdentityHashMap<>());
        current.addAll(fuse);
        for (MountRecord record : List.copyOf(daemons.keySet())) {
            if (!current.contains(record)) {
                forget(record);
            }
        }
        fuse.forEach(record -> daemons.computeIfAbsent(record, r -> new Daemon()));
        return fuse;
    }

    /** Holds a pidfd on the first of {@code pids} still holding the connection; false if none. */
    private boolean watch(MountRecord record, Daemon daemon, List<Integer> pids, long now) {
        for (int pid : pids) {
            if (pid == selfPid) {
                continue; // mounterd's own copy, held while the request is handled
            }
            int pidfd;
            try {
                pidfd = Syscalls.pidfdOpen(pid);
            } catch (SyscallException gone) {
                continue;
            }
            // the pidfd names the process that had the pid when it was opened: check that
            // this process (not a successor with a reused pid) holds the connection
            if (holders.holds(pid, record.fuseConnection())) {
                daemon.pid = pid;
                daemon.pidfd = pidfd;
                daemon.missingSince = -1;
                if (daemon.foundAt < 0) {
                    daemon.foundAt = now;
                }
                // kept while it names the target: a respawned daemon's names its staging
                // directory, and the first command stays the one to run
                List<String> argv = holders.commandLine(pid);
                if (argv.contains(record.entry().target())) {
                    table.setCommand(record.entry().target(), argv);
                }
                log.atDebug().setMessage("daemon found").addKeyValue("op", "WATCH")
                        .addKeyValue("target", record.entry().target()).addKeyValue("pid", pid).log();
                return true;
            }
            Syscalls.closeQuietly(pidfd);
        }
        return false;
    }

    /**
     * A mount with a daemon command kept (served here, or before a restart) and no daemon:
     * never detached; the command is run again.
     */
    private void respawn(MountRecord record, Daemon daemon, List<String> command) {
        daemon.givenUp = true; // the respawner replaces the record, or it stays dead
        table.setState(record, MountState.RECOVERING, DAEMON_DIED + "; running its command again");
        log.atWarn().setMessage("FUSE daemon died; running its command again").addKeyValue("op", "WATCH")
                .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                .addKeyValue("device", record.device()).addKeyValue("last_daemon_pid", daemon.pid)
                .addKeyValue("reason", DAEMON_DIED).log();
        respawner.respawn(record, command);
    }

    /** Served, but by a daemon whose command is not to be run again (a user's): dead, not detached. */
    private void staysDead(MountRecord record, Daemon daemon) {
        daemon.givenUp = true;
        table.setState(record, MountState.DEAD, DAEMON_DIED + "; its command is not run again");
        log.atWarn().setMessage("FUSE daemon died; the mount stays dead").addKeyValue("op", "WATCH")
                .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                .addKeyValue("device", record.device()).addKeyValue("last_daemon_pid", daemon.pid)
                .addKeyValue("reason", "its daemon's command is not run again (not root, or not naming the target)")
                .log();
    }

    private void detachDead(MountRecord record, Daemon daemon) {
        String target = record.entry().target();
        boolean detached;
        try {
            detached = detacher.detach(target, record.device());
        } catch (RuntimeException e) {
            daemon.givenUp = true;
            table.setState(record, MountState.DEAD, NEVER_SERVED + "; its detach failed");
            log.atWarn().setMessage("detach failed; the record stays").addKeyValue("op", "WATCH")
                    .addKeyValue("target", target).addKeyValue("fstype", record.entry().fstype())
                    .addKeyValue("error", e.getMessage()).log();
            return;
        }
        // logged before the record goes, so that a LIST without it finds the log saying why;
        // "forgotten" when the target shows another filesystem, or none, now
        log.atInfo().setMessage(detached ? "detached" : "forgotten").addKeyValue("op", "WATCH")
                .addKeyValue("target", target).addKeyValue("fstype", record.entry().fstype())
                .addKeyValue("device", record.device())
                .addKeyValue("reason", NEVER_SERVED).log();
        if (table.remove(record)) {
            events.staleMountCleaned(target, NEVER_SERVED);
        }
        forget(record);
    }

    private void forget(MountRecord record) {
        Daemon daemon = daemons.remove(record);
        if (daemon != null && daemon.pidfd >= 0) {
            Syscalls.closeQuietly(daemon.pidfd);
        }
    }

    /** How often poll has returned: for tests that nothing wakes the watcher while idle. */
    long wakeUps() {
        return wakeUps;
    }

    /** Stops the thread (within half a second) and closes its descriptors. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            Syscalls.signal(wakeFd);
        }
        try {
            thread.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            daemons.values().forEach(d -> Syscalls.closeQuietly(d.pidfd));
            daemons.clear();
            Syscalls.closeQuietly(wakeFd);
        }
    }
}

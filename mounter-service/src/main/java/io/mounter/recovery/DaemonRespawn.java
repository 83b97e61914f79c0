package io.mounter.recovery;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.MountFlags;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.MountState;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import io.mounter.table.Respawner;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a dead FUSE mount back where it was, never leaving a bare directory: its daemon's
 * command line is run again in the mount container, with the target swapped for a staging
 * directory beside the volumes (libfuse and glusterfs stat their mountpoint first, which
 * fails on the dead mount with ENOTCONN); the fresh mount that lands there on the host is
 * moved beneath the dead one on the target and the dead one detached
 * ({@link HostCommand.MoveBeneath}); then the pods' private copies are replaced
 * ({@link PodRepair}). Until that works the mount stays dead, and kubelet's own unmount
 * still removes it. A command that fails (its server unreachable, say) is run again after
 * {@link #firstRetry}, doubling up to {@link #MAX_RETRY}, for as long as the dead mount is in
 * the table. One respawn at a time, on a thread of its own.
 *
 * <p>Threat: the command line is what a process of the mount container ran. Only a daemon
 * that ran as root is run again (the watcher reads no command line of any other), so a
 * user's daemon never gets a command run as root.
 */
public final class DaemonRespawn implements Respawner, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DaemonRespawn.class);
    /** The staging directories' parent, in the target's allowed prefix. */
    static final String STAGING = ".mounter-respawn";
    static final Duration HELPER_TIMEOUT = Duration.ofSeconds(60);
    /** How long a mount may come after its command exited. */
    static final Duration MOUNT_WAIT = Duration.ofSeconds(10);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(60);

    /** Runs a command in the mount container and gives its exit status (-1: killed at the timeout). */
    public interface CommandRunner {
        int run(List<String> argv, Duration timeout);
    }

    private final MountTable table;
    private final MountPolicy policy;
    private final MountExecutor executor;
    private final CommandRunner runner;
    private final PodRepair pods;
    private final Duration firstRetry;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "respawn");
        thread.setDaemon(true);
        return thread;
    });

    public DaemonRespawn(MountTable table, MountPolicy policy, MountExecutor executor, CommandRunner runner,
                         PodRepair pods) {
        this(table, policy, executor, runner, pods, FIRST_RETRY);
    }

    DaemonRespawn(MountTable table, MountPolicy policy, MountExecutor executor, CommandRunner runner, PodRepair pods,
                  Duration firstRetry) {
        this.table = table;
        this.policy = policy;
        this.executor = executor;
        this.runner = runner;
        this.pods = pods;
        this.firstRetry = firstRetry;
    }

    @Override
    public void respawn(MountRecord dead, List<String> argv) {
        worker.execute(() -> attempt(dead, argv, firstRetry));
    }

    /** One try; a failure that may pass (the command failed) is tried again later. */
    private void attempt(MountRecord dead, List<String> argv, Duration nextDelay) {
        if (table.newestFirst(r -> r == dead).isEmpty()) {
            return; // unmounted meanwhile (kubelet), or replaced
        }
        String failure = bringBack(dead, argv);
        if (failure == null) {
            return;
        }
        table.setState(dead, MountState.RECOVERING, failure + "; next try in " + nextDelay.toSeconds() + " s");
        log.atWarn().setMessage("not brought back; trying again later").addKeyValue("op", "RESPAWN")
                .addKeyValue("target", dead.entry().target()).addKeyValue("fstype", dead.entry().fstype())
                .addKeyValue("reason", failure).addKeyValue("in_ms", nextDelay.toMillis()).log();
        Duration after = nextDelay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : nextDelay.multipliedBy(2);
        try {
            worker.schedule(() -> attempt(dead, argv, after), nextDelay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // mounterd is stopping
        }
    }

    /**
     * Null when done, or when trying again cannot help (the mount is marked dead); else why
     * this try failed, for a later one.
     */
    private String bringBack(MountRecord dead, List<String> argv) {
        String target = dead.entry().target();
        List<String> command = argv;
        int at = command.indexOf(target);
        if (at < 0 || command.lastIndexOf(target) != at || dead.device() == null) {
            staysDead(dead, "its daemon's command line does not name the target once");
            return null;
        }
        ContainedPath to;
        try {
            to = ContainedPath.within(target, policy.targetPrefixes());
        } catch (RuntimeException e) {
            staysDead(dead, e.getMessage());
            return null;
        }
        ContainedPath staging = new ContainedPath(to.prefix(), STAGING + "/" + UUID.randomUUID());
        try {
            Files.createDirectories(Path.of(staging.full()));
            List<String> again = new ArrayList<>(command);
            again.set(at, staging.full());
            int status = runner.run(again, HELPER_TIMEOUT);
            MountRecord fresh = status == 0 ? awaitMount(staging) : null;
            if (status != 0 || fresh == null) {
                discard(staging, fresh);
                return "its command exited with " + status + (status == 0 ? ", no mount made" : "");
            }
            DeviceNumber device = executor.execute(new HostCommand.MoveBeneath(staging, to, dead.device()));
            detachOwnCopy(staging, fresh.device());
            table.remove(fresh);
            table.remove(dead);
            MountEntry entry = dead.entry();
            table.add(new MountRecord(new MountEntry(entry.source(), target, entry.fstype(), entry.requesterPid(),
                    entry.createdAtMillis(), 0), device));
            table.setCommand(target, command); // the new daemon's own names the staging directory
            log.atInfo().setMessage("respawned").addKeyValue("op", "RESPAWN").addKeyValue("target", target)
                    .addKeyValue("fstype", entry.fstype()).addKeyValue("dead_device", dead.device())
                    .addKeyValue("device", device).log();
            repairPods(dead.device(), to);
            return null;
        } catch (IOException | RuntimeException e) {
            discard(staging, table.newestFirst(r -> r.entry().target().equals(staging.full())).stream()
                    .findFirst().orElse(null));
            if (e instanceof Refusal refusal && refusal.errno() == Errno.ESTALE) {
                // the dead mount moved away from the target: nothing left to bring back
                staysDead(dead, e.getMessage());
                return null;
            }
            if (e instanceof SyscallException failed && failed.op().equals("move_mount") && failed.errno() == Errno.EINVAL) {
                // kernels before 6.5 do not know MOVE_MOUNT_BENEATH: no try will do better
                staysDead(dead, "the kernel refused to put the fresh mount beneath the dead one (kernels before 6.5"
                        + " lack move_mount MOVE_MOUNT_BENEATH): " + e.getMessage());
                return null;
            }
            return e.getMessage() != null ? e.getMessage() : e.toString();
        } finally {
            try {
                Files.deleteIfExists(Path.of(staging.full()));
            } catch (IOException e) {
                log.atWarn().setMessage("staging directory left").addKeyValue("op", "RESPAWN")
                        .addKeyValue("path", staging.full()).addKeyValue("error", e.getMessage()).log();
            }
        }
    }

    /**
     * The record of the mount on the staging directory. A daemon that forks may let its
     * command exit before its mount() is done (glusterfs does): wait a little for it.
     */
    private MountRecord awaitMount(ContainedPath staging) throws InterruptedIOException {
        long deadline = System.nanoTime() + MOUNT_WAIT.toNanos();
        while (true) {
            MountRecord fresh = table.newestFirst(r -> r.entry().target().equals(staging.full())).stream()
                    .findFirst().orElse(null);
            if (fresh != null || System.nanoTime() - deadline > 0) {
                return fresh;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for " + staging.full());
            }
        }
    }

    /**
     * Where the kubelet directory reaches the mount container by propagation (the static
     * pod's HostToContainer), the fresh mount also showed up on the staging directory in
     * mounterd's own namespace, and a move on the host does not take that copy along: it
     * would pin the FUSE connection and the directory. Detached here, through a descriptor
     * opened with no symlink and only if it is that very filesystem.
     */
    private static void detachOwnCopy(ContainedPath staging, DeviceNumber fresh) {
        int fd;
        try {
            fd = Syscalls.openat2(Syscalls.AT_FDCWD, staging.full(), Syscalls.O_PATH | Syscalls.O_CLOEXEC,
                    Syscalls.RESOLVE_NO_SYMLINKS | Syscalls.RESOLVE_NO_MAGICLINKS);
        } catch (SyscallException e) {
            return;
        }
        try {
            if (fresh != null && fresh.equals(Syscalls.deviceOf(fd)) && Syscalls.isMountRoot(fd)) {
                Syscalls.umount2("/proc/thread-self/fd/" + fd, MountFlags.MNT_DETACH);
            }
        } catch (SyscallException e) {
            log.atWarn().setMessage("own copy of the staging mount left").addKeyValue("op", "RESPAWN")
                    .addKeyValue("path", staging.full()).addKeyValue("error", e.getMessage()).log();
        } finally {
            Syscalls.closeQuietly(fd);
        }
    }

    /** A mount that landed on the staging directory but is not used: detached, and forgotten. */
    private void discard(ContainedPath staging, MountRecord fresh) {
        if (fresh == null) {
            return;
        }
        try {
            executor.execute(new HostCommand.Unmount(staging, MountFlags.MNT_DETACH, fresh.device()));
        } catch (RuntimeException e) {
            log.atWarn().setMessage("staging mount left").addKeyValue("op", "RESPAWN")
                    .addKeyValue("path", staging.full()).addKeyValue("error", e.getMessage()).log();
        }
        table.remove(fresh);
    }

    private void repairPods(DeviceNumber dead, ContainedPath fresh) {
        List<PodRepair.Outcome> outcomes;
        try {
            outcomes = pods.repair(dead, fresh);
        } catch (IOException | RuntimeException e) {
            log.atWarn().setMessage("pods not repaired").addKeyValue("op", "RESPAWN")
                    .addKeyValue("target", fresh.full()).addKeyValue("error", e.getMessage()).log();
            return;
        }
        for (PodRepair.Outcome outcome : outcomes) {
            log.atInfo().setMessage(outcome.replaced() ? "repaired in a pod" : "not repaired in a pod")
                    .addKeyValue("op", "RESPAWN").addKeyValue("namespace", outcome.namespace())
                    .addKeyValue("path", outcome.mountPoint())
                    .addKeyValue("result", outcome.failure() != null ? outcome.failure() : outcome.replacement())
                    .log();
        }
    }

    private void staysDead(MountRecord dead, String why) {
        table.setState(dead, MountState.DEAD, why);
        log.atWarn().setMessage("stays dead").addKeyValue("op", "RESPAWN").addKeyValue("target", dead.entry().target())
                .addKeyValue("fstype", dead.entry().fstype()).addKeyValue("reason", why).log();
    }

    /** Lets a respawn under way finish, waiting at most a second. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

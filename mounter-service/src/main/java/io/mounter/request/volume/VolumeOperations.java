package io.mounter.request.volume;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.MountInfo;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.CredentialMask;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MountState;
import io.mounter.protocol.Request;
import io.mounter.request.HelperLeftovers;
import io.mounter.request.HelperRunner;
import io.mounter.request.MountHelper;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The volume operations behind the CSI node door, on the same machinery as every other door:
 * the policy, the mount helper whose mount() comes back through the socket, the table, and
 * the mount executor for the steps in the host namespace.
 * <ul>
 *   <li>stage: the helper mounts the volume at the staging path: one FUSE daemon per volume
 *       and node, however many pods use it;</li>
 *   <li>publish: a bind copy of the staged mount at the pod's target, read-only if asked
 *       (an inline volume is mounted there by its helper, with no staging);</li>
 *   <li>unpublish, unstage: their reverse; only mounts mounterd made are removed;</li>
 *   <li>stats: statfs in the host namespace, and whether the volume's daemon serves.</li>
 * </ul>
 * Every call is idempotent, and success is reported only once the mount shows in the host
 * namespace. One operation per volume at a time ({@link InFlight}).
 */
public final class VolumeOperations {
    static final Duration HELPER_TIMEOUT = Duration.ofSeconds(60);
    static final Duration RESPAWN_WINDOW = Duration.ofSeconds(1);

    private final MountPolicy policy;
    private final MountExecutor executor;
    private final MountTable table;
    private final HelperRunner helpers;
    private final Clock clock;
    private final InFlight inFlight = new InFlight();

    public VolumeOperations(MountPolicy policy, MountExecutor executor, MountTable table, HelperRunner helpers,
                            Clock clock) {
        this.policy = policy;
        this.executor = executor;
        this.table = table;
        this.helpers = helpers;
        this.clock = clock;
    }

    /** Mounts the volume at {@code stagingPath} with its helper; OK if that very mount is there already. */
    public void stage(String volumeId, String stagingPath, VolumeSpec spec) {
        require(volumeId, "volume_id");
        require(stagingPath, "staging_target_path");
        ContainedPath staging = helperTarget(spec, stagingPath);
        try (InFlight.Held held = inFlight.take(volumeId)) {
            requireDirectory(staging, "staging_target_path");
            mountWithHelper(spec, staging, "staging path");
        }
    }

    /** Unmounts the staged volume; OK if nothing is staged there (the directory stays: kubelet's). */
    public void unstage(String volumeId, String stagingPath) {
        require(volumeId, "volume_id");
        require(stagingPath, "staging_target_path");
        ContainedPath staging = contained(stagingPath);
        try (InFlight.Held held = inFlight.take(volumeId)) {
            unmountMade(staging, "staged");
        }
    }

    /**
     * Makes the volume appear at {@code targetPath} (created if missing): a bind copy of the
     * staged mount, or for an inline volume the helper's own mount there. OK if the same is
     * there already; ALREADY_EXISTS if something else is.
     */
    public void publish(String volumeId, String stagingPath, String targetPath, boolean readOnly, VolumeSpec inline) {
        require(volumeId, "volume_id");
        require(targetPath, "target_path");
        try (InFlight.Held held = inFlight.take(volumeId)) {
            if (inline != null) {
                publishInline(targetPath, readOnly, inline);
            } else {
                publishStaged(stagingPath, targetPath, readOnly);
            }
        }
    }

    /** Unmounts what publish put at {@code targetPath} and removes the directory; OK if nothing is there. */
    public void unpublish(String volumeId, String targetPath) {
        require(volumeId, "volume_id");
        require(targetPath, "target_path");
        ContainedPath target = contained(targetPath);
        try (InFlight.Held held = inFlight.take(volumeId)) {
            if (table.newestFirst(r -> r.entry().target().equals(target.full())).isEmpty()) {
                unmountCopy(target);
            } else {
                unmountMade(target, "published"); // an inline volume: the helper's own mount
            }
            executor.execute(new HostCommand.RemoveDirectory(target));
        }
    }

    /** Usage and condition of the volume mounted at {@code volumePath}; NOT_FOUND if mounterd made no mount there. */
    public VolumeStats stats(String volumeId, String volumePath) {
        require(volumeId, "volume_id");
        require(volumePath, "volume_path");
        ContainedPath path = contained(volumePath);
        DeviceNumber device = executor.execute(new HostCommand.MountedDevice(path));
        MountRecord record = device == null ? null : recordOf(device);
        if (record == null) {
            throw new VolumeError(VolumeError.Kind.NOT_FOUND, "no volume " + volumeId + " is mounted at " + volumePath);
        }
        MountState state = record.entry().state();
        if (state != MountState.SERVING) {
            // no statfs: the daemon is gone, and the answer would be ENOTCONN at best
            return VolumeStats.abnormal("the volume's FUSE daemon is " + state.label() + ": "
                    + record.entry().stateReason());
        }
        try {
            return VolumeStats.of(executor.execute(new HostCommand.StatFs(path)));
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOTCONN) { // died a moment ago: the watcher has not seen it yet
                return VolumeStats.abnormal("the volume's FUSE daemon is gone (transport endpoint is not connected)");
            }
            throw e;
        }
    }

    private void publishStaged(String stagingPath, String targetPath, boolean readOnly) {
        if (stagingPath == null || stagingPath.isEmpty()) {
            throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION,
                    "staging_target_path not set: this driver stages each volume (STAGE_UNSTAGE_VOLUME) before publishing it");
        }
        ContainedPath staging = contained(stagingPath);
        ContainedPath target = contained(targetPath);
        DeviceNumber staged = executor.execute(new HostCommand.MountedDevice(staging));
        if (staged == null || madeWith(staged).isEmpty()) {
            throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION, "the volume is not staged at " + stagingPath
                    + ": NodeStageVolume must succeed first");
        }
        executor.execute(new HostCommand.MakeDirectory(target));
        Optional<MountInfo.Entry> present = topmostOnHost(target);
        if (present.isPresent()) {
            if (present.get().device().equals(staged) && isReadOnly(present.get()) == readOnly) {
                return; // published already, as asked
            }
            throw new VolumeError(VolumeError.Kind.ALREADY_EXISTS, targetPath + " holds another mount, or this volume"
                    + (readOnly ? " read-write" : " read-only") + ": unpublish it first");
        }
        DeviceNumber bound = executor.execute(new HostCommand.Bind(staging, target, readOnly));
        MountInfo.Entry landed = topmostOnHost(target).orElse(null);
        if (landed == null || !landed.device().equals(staged) || bound == null || isReadOnly(landed) != readOnly) {
            throw new VolumeError(VolumeError.Kind.INTERNAL, "the bind of " + stagingPath + " to " + targetPath
                    + " does not show in the host namespace as asked");
        }
    }

    private void publishInline(String targetPath, boolean readOnly, VolumeSpec spec) {
        VolumeSpec asked = readOnly ? new VolumeSpec(spec.fstype(), spec.source(),
                spec.options().isEmpty() ? "ro" : spec.options() + ",ro", spec.input(), spec.secretsInOptions()) : spec;
        ContainedPath target = helperTarget(asked, targetPath);
        executor.execute(new HostCommand.MakeDirectory(target));
        requireDirectory(target, "target_path");
        mountWithHelper(asked, target, "target path");
    }

    /**
     * Runs the helper onto {@code target} unless the same volume is mounted there already, and
     * succeeds only once its mount shows in the host namespace. A helper that fails or times
     * out leaves nothing behind.
     */
    private void mountWithHelper(VolumeSpec spec, ContainedPath target, String what) {
        Optional<MountInfo.Entry> present = topmostOnHost(target);
        if (present.isPresent()) {
            Optional<MountRecord> made = madeWith(present.get().device());
            if (made.isPresent() && spec.landsAs(present.get().fstype())
                    && spec.shownSource().equals(made.get().entry().source())) {
                return; // mounted already, as asked
            }
            throw new VolumeError(VolumeError.Kind.ALREADY_EXISTS, "the " + what + " " + target.full()
                    + " holds another mount already");
        }
        long started = clock.millis();
        // before the daemon exists: a command line holding a secret is never kept, so never
        // saved in clear; a mark an earlier volume left here (its mount gone without an
        // unstage, unmounted on the host) must not cost this one its respawn
        if (spec.secretsInOptions()) {
            table.keepNoCommandFor(target.full());
        } else {
            table.keepCommandsFor(target.full());
        }
        MountHelper.Result result = helpers.run(MountHelper.argv(spec.fstype(), spec.options(), spec.source(),
                target.full()), HELPER_TIMEOUT, spec.input());
        if (result.timedOut() || result.exitStatus() != 0) {
            removeLeftovers(target, started);
            throw new VolumeError(VolumeError.Kind.INTERNAL, "mount -t " + spec.fstype() + " onto " + target.full()
                    + (result.timedOut() ? " timed out after " + HELPER_TIMEOUT.toSeconds() + " s"
                    : " failed with exit " + result.exitStatus()) + ": " + CredentialMask.text(result.output().strip()));
        }
        MountInfo.Entry landed = topmostOnHost(target).orElse(null);
        if (landed == null || !spec.landsAs(landed.fstype()) || madeWith(landed.device()).isEmpty()) {
            removeLeftovers(target, started);
            throw new VolumeError(VolumeError.Kind.INTERNAL, "mount -t " + spec.fstype() + " reported success, but no "
                    + spec.fstype() + " mount of mounterd's is on " + target.full() + " in the host namespace (found: "
                    + (landed == null ? "nothing" : landed.fstype()) + ")");
        }
    }

    /** A failed stage leaves no mount, record or mark on {@code target}. */
    private void removeLeftovers(ContainedPath target, long since) {
        HelperLeftovers.remove(table, executor, target, since);
        table.keepCommandsFor(target.full());
    }

    /** Unmounts the newest mount mounterd made on {@code target}; nothing there is fine. */
    private void unmountMade(ContainedPath target, String what) {
        MountRecord record = table.claimNewest(target.full());
        if (record == null) {
            if (executor.execute(new HostCommand.MountedDevice(target)) != null) {
                throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION, target.full()
                        + " holds a mount mounterd did not make; it is left alone");
            }
            return; // done already
        }
        try {
            executor.execute(new HostCommand.Unmount(target, 0, record.device()));
        } catch (SyscallException e) {
            table.release(record);
            if (e.errno() == Errno.EBUSY) {
                throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION, "the " + what + " volume at "
                        + target.full() + " is in use (still published?)");
            }
            throw e;
        } catch (RuntimeException e) {
            table.release(record);
            throw e;
        }
        table.remove(record);
        if (table.newestFirst(r -> r.entry().target().equals(target.full())).isEmpty()) {
            table.keepCommandsFor(target.full());
        }
    }

    /** Unmounts a bind copy of a mount mounterd made; nothing there is fine, anything else is left alone. */
    private void unmountCopy(ContainedPath target) {
        DeviceNumber device = executor.execute(new HostCommand.MountedDevice(target));
        if (device == null) {
            return;
        }
        if (recordOf(device) == null) {
            throw new VolumeError(VolumeError.Kind.FAILED_PRECONDITION, target.full()
                    + " holds a mount that is no copy of a volume of mounterd's; it is left alone");
        }
        executor.execute(new HostCommand.Unmount(target, 0, device));
    }

    /**
     * The helper resolves its target as it likes (symlinks followed); mounterd's own walk
     * first, from the held prefix without following a symlink, so a path that leaves the
     * prefixes through one is refused here, before any helper runs.
     */
    private void requireDirectory(ContainedPath path, String field) {
        if (!executor.execute(new HostCommand.IsDirectory(path))) {
            throw VolumeError.invalid(field + " " + path.full() + " is no directory");
        }
    }

    /**
     * The record (with its state) of the mount mounterd made that is {@code device}, or null.
     * While a dead FUSE mount is being brought back, its copies change device a moment after
     * the record does (the respawn repairs them next): such a device is looked up again for
     * up to {@link #RESPAWN_WINDOW}.
     */
    private MountRecord recordOf(DeviceNumber device) {
        long deadline = System.nanoTime() + RESPAWN_WINDOW.toNanos();
        while (true) {
            MountRecord record = table.withStates().stream().filter(r -> device.equals(r.device())).findFirst()
                    .orElse(null);
            if (record != null || device.major() != 0 || System.nanoTime() - deadline > 0) {
                return record;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private Optional<MountRecord> madeWith(DeviceNumber device) {
        return table.newestFirst(r -> device.equals(r.device())).stream().findFirst();
    }

    /** The mount on top at {@code path} in the host namespace, as its mountinfo shows it. */
    private Optional<MountInfo.Entry> topmostOnHost(ContainedPath path) {
        int fd = executor.execute(new HostCommand.OpenMountInfo());
        List<MountInfo.Entry> entries;
        try {
            entries = MountInfo.parse(new String(Syscalls.readFromStart(fd), StandardCharsets.UTF_8));
        } finally {
            Syscalls.closeQuietly(fd);
        }
        return MountInfo.topmostAt(entries, path.full());
    }

    private static boolean isReadOnly(MountInfo.Entry entry) {
        return List.of(entry.mountOptions().split(",")).contains("ro");
    }

    /** The helper's own checks (fstype, source, options), and the target below a prefix. */
    private ContainedPath helperTarget(VolumeSpec spec, String path) {
        try {
            return policy.authorizeHelperMount(new Request.RunMount(0, spec.source(), path, spec.fstype(),
                    spec.options(), 0));
        } catch (Refusal refusal) {
            throw denied(refusal);
        }
    }

    private ContainedPath contained(String path) {
        try {
            return ContainedPath.within(path, policy.targetPrefixes());
        } catch (Refusal refusal) {
            throw denied(refusal);
        }
    }

    private static VolumeError denied(Refusal refusal) {
        return new VolumeError(refusal.errno() == Errno.EINVAL ? VolumeError.Kind.INVALID_ARGUMENT
                : VolumeError.Kind.PERMISSION_DENIED, refusal.getMessage());
    }

    private static void require(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw VolumeError.invalid(field + " is missing");
        }
    }
}

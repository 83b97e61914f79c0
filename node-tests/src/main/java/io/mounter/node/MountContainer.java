package io.mounter.node;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated mount container: new mount and PID namespaces entered from the host, in
 * the node network (host networking), with a root of its own, an overlayfs whose lower
 * layer is the host's / and whose upper layer is a tmpfs. Its /etc is the overlay's, so
 * its /etc/ld.so.preload exists only here: the real one must never exist, since every
 * process on the machine would load the shim.
 *
 * <p>Layout inside: /dev and /sys bound from the host (with a /dev/fuse of mode 0666 of its
 * own), a fresh /proc for its PID namespace,
 * the host's /proc at /host/proc (as the static pod mounts it), a tmpfs /run, and the
 * fixture's shared directory bound at the same path, so kubelet's pod directories are the
 * same files on both sides. Mount propagation between container and host is none (a mount
 * reaches the host only if something, mounterd, makes it there), unless the config names a
 * directory the container follows: mounts made on the host below it then show in the
 * container too, as with a static pod's HostToContainer volume. The image's files
 * ({@link ContainerConfig#files()}) are written into the overlay before its root is pivoted to.
 *
 * <p>The init (see {@link HolderProcess}) reaps orphans, which daemonized FUSE helpers
 * become, and exits when the JVM closes its stdin; the kernel then kills the rest of the PID
 * namespace.
 */
public final class MountContainer implements AutoCloseable {
    /**
     * A container's exec environment starts from this, like {@code docker exec}.
     * LIBMOUNT_FORCE_MOUNT2=always: util-linux 2.39+ would otherwise mount through the new
     * mount API (fsopen/fsmount), which the shim does not forward (it refuses fsopen of a
     * forwarded type with ENOSYS, so libmount falls back anyway; this saves the detour).
     */
    public static final Map<String, String> BASE_ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root",
            "LIBMOUNT_FORCE_MOUNT2", "always");

    private static final String INIT_SCRIPT = """
            set -eu
            scratch=$1 shared=$2 preload=$3 config=$4 followed=$5
            # /proc is still the host's: this is the init's pid as the host sees it
            read -r pid _ < /proc/self/stat
            mount -t tmpfs -o mode=755 mounter-container "$scratch"
            mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
            # overlayfs refuses layers that overlap; lowerdir=/ is fine only because
            # the upper and work dirs sit on another filesystem (the tmpfs)
            mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"
            root=$scratch/root
            mount --rbind /dev "$root/dev"
            # /dev/fuse as a node's udev leaves it, 0666 (this machine's is 0600), so that FUSE
            # daemons run as users can open it: a node of the container's own over the bound one
            mknod -m 666 "$scratch/fuse" c 10 229
            mount --bind "$scratch/fuse" "$root/dev/fuse"
            mount --rbind /sys "$root/sys"
            # a fresh proc, since this shell is PID 1 of the new PID namespace
            mount -t proc proc "$root/proc"
            mkdir -p "$root/host/proc" "$root/run" "$root$shared"
            mount --rbind /proc "$root/host/proc"
            mount -t tmpfs -o mode=755 container-run "$root/run"
            # not --rbind: that would copy this container's own scratch and root mounts into it
            mount --bind "$shared" "$root$shared"
            # HostToContainer: this namespace's copy of the host's shared mount there is its
            # slave (unshare --propagation slave), and so is a bind of it
            if [ -n "$followed" ]; then mount --bind "$followed" "$root$followed"; fi
            if [ -n "$config" ]; then mkdir -p "$root/etc/mounter"; cp "$config" "$root/etc/mounter/preload.conf"; fi
            # the image's files, as triples SOURCE PATH MODE, written through the overlay:
            # the host's own file in the lower layer stays as it is
            shift 5
            while [ $# -ge 3 ]; do
                install -D -o root -g root -m "$3" "$1" "$root$2"
                shift 3
            done
            cd "$root"
            mkdir .old-root
            pivot_root . .old-root
            cd /
            umount -l /.old-root
            rmdir /.old-root
            # the hold program writes /etc/ld.so.preload itself: nothing is exec'd after it
            if [ -n "$preload" ]; then exec perl -e "$hold" -- "$pid" "/etc/ld.so.preload=$preload"; fi
            exec perl -e "$hold" -- "$pid"
            """;

    private final HolderProcess init;
    private final Path sharedDir;

    private MountContainer(HolderProcess init, Path sharedDir) {
        this.init = init;
        this.sharedDir = sharedDir;
    }

    /**
     * Creates the container from the host's mount namespace.
     *
     * @param scratchDir an empty directory under {@code sharedDir}'s filesystem for the tmpfs
     *                   holding the overlay's upper layer (mounted only inside the container)
     * @param sharedDir  a directory bound into the container at the same path
     * @param log        where the init's stderr goes
     * @throws IllegalStateException if the setup fails (the log's content is in the message)
     */
    public static MountContainer start(HostNamespace host, NodeNetwork network, Path scratchDir, Path sharedDir,
                                       ContainerConfig config, Path log) {
        String configFile = "";
        if (config.preloadConfig() != null) {
            // staged next to the scratch dir; the init copies it in before the container's root is pivoted to
            Path staged = scratchDir.resolveSibling(scratchDir.getFileName() + "-preload.conf");
            write(staged, config.preloadConfig());
            configFile = staged.toString();
        }
        String preload = config.preloadLibrary() == null ? "" : config.preloadLibrary() + "\n";
        Path followed = config.followedDir();
        if (followed != null) {
            // a shared mount on the host (as / is under systemd) for the container's copy to follow
            host.run("mount", "--bind", followed.toString(), followed.toString());
            host.run("mount", "--make-shared", followed.toString());
        }
        List<String> wrapper = List.of("nsenter", "--mount=" + host.mountNsPath(), "--net=" + network.path(), "--",
                "unshare", "--mount", "--pid", "--fork", "--propagation", followed == null ? "private" : "slave", "--");
        List<String> args = new ArrayList<>(List.of(scratchDir.toString(), sharedDir.toString(), preload, configFile,
                followed == null ? "" : followed.toString()));
        for (ContainerConfig.ImageFile file : config.files()) {
            args.addAll(List.of(file.source().toString(), file.containerPath(), Integer.toOctalString(file.mode())));
        }
        return new MountContainer(HolderProcess.start("mount container", wrapper, INIT_SCRIPT, args, log,
                Duration.ofSeconds(15)), sharedDir);
    }

    /** The init's pid as the host sees it (inside the container it is 1). */
    public long initPid() {
        return init.pid();
    }

    public Path mountNsPath() {
        return nsPath("mnt");
    }

    public Path pidNsPath() {
        return nsPath("pid");
    }

    /** Inode of the container's PID namespace: compare with {@link Processes#pidNamespaceInode}. */
    public long pidNamespaceInode() {
        return Processes.namespaceInode(initPid(), "pid");
    }

    public long mountNamespaceInode() {
        return Processes.namespaceInode(initPid(), "mnt");
    }

    /** The shared directory, the same path inside and outside. */
    public Path sharedDir() {
        return sharedDir;
    }

    /**
     * argv as {@code docker exec} would run it: {@code nsenter -t INIT -m -p -n}, so it sees the
     * container's root and sits in its PID namespace (nsenter forks for that), with
     * {@link #BASE_ENVIRONMENT} plus {@code environment}.
     */
    public Command command(List<String> argv, Map<String, String> environment) {
        Map<String, String> all = new HashMap<>(BASE_ENVIRONMENT);
        all.putAll(environment);
        return Command.of(argv)
                .prefixedWith(List.of("nsenter", "-t", Long.toString(initPid()), "-m", "-p", "-n", "--"))
                .withEnvironment(all);
    }

    public Command command(List<String> argv) {
        return command(argv, Map.of());
    }

    /** Runs argv in the container and returns the result whatever its exit status. */
    public CommandResult exec(String... argv) {
        return command(List.of(argv)).exec();
    }

    public CommandResult exec(List<String> argv, Map<String, String> environment) {
        return command(argv, environment).exec();
    }

    /** Runs argv in the container; throws CommandFailedException unless it exits 0. */
    public CommandResult run(String... argv) {
        return command(List.of(argv)).run();
    }

    /**
     * Starts argv in the background with stdout and stderr appended to {@code log} and stdin
     * empty. The returned process is nsenter, whose child is the real command: nsenter
     * forwards no signals, so stop it with {@link Processes#terminateTree}. Everything started
     * here dies with the container at the latest.
     */
    public Process start(List<String> argv, Map<String, String> environment, Path log) {
        try {
            return command(argv, environment).processBuilder()
                    .redirectInput(new File("/dev/null"))
                    .redirectOutput(Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start `" + Command.render(argv) + "` in the container", e);
        }
    }

    /** What is mounted as the container sees it (paths relative to its root). */
    public NamespaceMounts mountinfo() {
        return NamespaceMounts.of(initPid());
    }

    public boolean isMounted(Path mountPoint) {
        return mountinfo().isMounted(mountPoint);
    }

    /** A container path as the host can open it: {@code /proc/INIT/root/...}. */
    public Path hostView(String containerPath) {
        return Path.of("/proc", Long.toString(initPid()), "root", containerPath.replaceFirst("^/+", ""));
    }

    /** The processes in the container's PID namespace, by their host pids. */
    public List<ProcessInfo> processes() {
        return Processes.infoInPidNamespace(pidNamespaceInode());
    }

    /** Lazily unmounts everything at or below {@code dir} inside the container; returns the failures. */
    public List<CommandResult> unmountAllUnder(Path dir) {
        return MountSweep.unmountLazily(mountinfo().under(dir), this::command);
    }

    /** Ends the init; the kernel kills the PID namespace's other processes with it. Idempotent. */
    @Override
    public void close() {
        init.close();
    }

    private Path nsPath(String type) {
        return Path.of("/proc", Long.toString(initPid()), "ns", type);
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public String toString() {
        return "MountContainer[init " + initPid() + "]";
    }
}

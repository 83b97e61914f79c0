package io.mounter.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A real glusterd (GlusterFS 10.3), started by hand in the node network, in mount and PID
 * namespaces of its own. Private directories are bound over /var/lib/glusterd and
 * /var/log/glusterfs and a tmpfs over /run, so the machine's real ones stay untouched.
 * The PID namespace's init is a shell reading the JVM's pipe: when it ends, the kernel kills
 * glusterd and every brick process (glusterfsd daemonizes, so it would otherwise escape).
 *
 * <p>Bricks listen on 127.0.0.2: the gluster CLI refuses 127.0.0.1 and localhost as brick
 * hosts.
 */
public final class GlusterServer implements AutoCloseable {
    public static final String ADDRESS = "127.0.0.2";
    public static final int MANAGEMENT_PORT = 24007;
    private static final Pattern VOLUME_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static final String HOLDER_SCRIPT = """
            set -eu
            state=$1
            read -r pid _ < /proc/self/stat
            # glusterd checks brick pidfiles against /proc: it needs its own PID namespace's view
            mount -t proc proc /proc
            mount --bind "$state/lib" /var/lib/glusterd
            mount --bind "$state/log" /var/log/glusterfs
            mount -t tmpfs -o mode=755 gluster-run /run
            glusterd -N -p /run/glusterd.pid --log-file="$state/log/glusterd.log" \\
                >>"$state/log/glusterd.out" 2>&1 </dev/null &
            exec perl -e "$hold" -- "$pid"
            """;

    private final NodeNetwork network;
    private final HolderProcess holder;
    private final Path directory;
    private final List<GlusterVolume> volumes = new ArrayList<>();

    private GlusterServer(NodeNetwork network, HolderProcess holder, Path directory) {
        this.network = network;
        this.holder = holder;
        this.directory = directory;
    }

    /**
     * Starts glusterd with its state under {@code directory} (created) and waits until it
     * listens on 127.0.0.2:24007. Throws IllegalStateException, with the logs, on failure.
     */
    public static GlusterServer start(NodeNetwork network, Path directory, Duration timeout) {
        for (String sub : List.of("lib", "log", "bricks")) {
            ScratchDirectory.createDirectories(directory.resolve(sub));
        }
        HolderProcess holder = network.startServerHolder("glusterd", HOLDER_SCRIPT, List.of(directory.toString()),
                directory.resolve("log/holder.log"), timeout);
        GlusterServer server = new GlusterServer(network, holder, directory);
        try {
            network.awaitListening(ADDRESS, MANAGEMENT_PORT, timeout);
            return server;
        } catch (RuntimeException e) {
            String logs = server.logs();
            server.close();
            throw new IllegalStateException(e.getMessage() + "\n" + logs, e);
        }
    }

    public static GlusterServer start(NodeNetwork network, Path directory) {
        return start(network, directory, Duration.ofSeconds(20));
    }

    /** The pid-namespace init holding glusterd, as the host sees it. */
    public long holderPid() {
        return holder.pid();
    }

    public long pidNamespaceInode() {
        return Processes.pidNamespaceInode(holderPid());
    }

    /**
     * Creates and starts a volume with one brick in a fresh directory (gluster refuses a
     * brick directory used before). Throws CommandFailedException if gluster says no.
     */
    public synchronized GlusterVolume createVolume(String name) {
        if (!VOLUME_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("volume name must match " + VOLUME_NAME + ": " + name);
        }
        Path brick = directory.resolve("bricks").resolve(name + "-" + volumes.size());
        // "force": the brick sits on the root filesystem, which gluster otherwise refuses
        cli("volume", "create", name, ADDRESS + ":" + brick, "force");
        cli("volume", "start", name);
        GlusterVolume volume = new GlusterVolume(name, brick);
        volumes.add(volume);
        return volume;
    }

    /** {@code gluster --mode=script ARGS} next to glusterd; throws CommandFailedException on failure. */
    public CommandResult cli(String... args) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holderPid()), "-m", "-n", "-p", "--",
                "gluster", "--mode=script"));
        argv.addAll(List.of(args));
        return Command.of(argv).withTimeout(Duration.ofSeconds(60)).run();
    }

    public List<GlusterVolume> volumes() {
        return List.copyOf(volumes);
    }

    /** glusterd's own log directory (brick logs are in {@code bricks/} below it). */
    public Path logDir() {
        return directory.resolve("log");
    }

    String logs() {
        StringBuilder text = new StringBuilder();
        for (String name : List.of("holder.log", "glusterd.out", "glusterd.log")) {
            Path file = logDir().resolve(name);
            try {
                if (Files.exists(file)) {
                    text.append("== ").append(file).append('\n').append(Files.readString(file));
                }
            } catch (IOException e) {
                text.append("== ").append(file).append(": ").append(e).append('\n');
            }
        }
        return text.toString();
    }

    /** Ends the PID namespace: glusterd and all bricks get SIGKILL from the kernel. Idempotent. */
    @Override
    public void close() {
        holder.close();
    }


    @Override
    public String toString() {
        return "GlusterServer[" + ADDRESS + ":" + MANAGEMENT_PORT + " in " + network + "]";
    }
}

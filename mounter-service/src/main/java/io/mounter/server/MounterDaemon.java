package io.mounter.server;

import io.mounter.Version;
import io.mounter.linux.NamespacePinning;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.observability.HttpListenAddress;
import io.mounter.observability.LogFormat;
import io.mounter.observability.MounterMetrics;
import io.mounter.observability.StatusEndpoint;
import io.mounter.policy.MountPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** mounterd: performs forwarded mounts in the host mount namespace. */
@Command(name = "mounterd", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = "Mounts on behalf of the mount container's helpers, in the host mount namespace.")
public final class MounterDaemon implements Callable<Integer> {
    static {
        // Above the logger field: logback reads its configuration when the first logger is made.
        LogFormat.chooseDefault("json");
    }

    private static final Logger log = LoggerFactory.getLogger(MounterDaemon.class);
    private static final int SOCKET_MODE = 0600;
    /** Helpers running at once, plus room for a /proc scan; fewer than the workers, which wait on them. */
    private static final int HOST_THREADS = 4;
    /** On SIGTERM: how long requests in flight may take to finish and be answered (of a 5 s budget). */
    private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(3);

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = "/run/mounter/mounter.sock",
            description = "Listening socket (SOCK_SEQPACKET, mode 0600). Default: ${DEFAULT-VALUE}")
    Path socket;

    @Option(names = "--host-mount-ns", paramLabel = "PATH", defaultValue = "/host/proc/1/ns/mnt",
            description = "The mount namespace mounts land in. Default: ${DEFAULT-VALUE}")
    String hostMountNamespace;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/mounter",
            description = "Where mounterd keeps its state. Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "16",
            description = "Connections served at once, each by its own thread pinned in the host mount namespace."
                    + " Default: ${DEFAULT-VALUE}")
    int maxConnections;

    @Option(names = "--max-requests", paramLabel = "N",
            description = "Requests handled at once; past that a request is answered EAGAIN at once, not queued."
                    + " mounterd runs N + 2 connection threads at least, so a free one can say so."
                    + " Default: --max-connections minus 2")
    Integer maxRequests;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--http-listen", paramLabel = "ADDR", defaultValue = HttpListenAddress.DEFAULT,
            converter = HttpListenAddress.Converter.class,
            description = "Status endpoint (GET /healthz, /metrics): HOST:PORT on a loopback address, unix:PATH,"
                    + " or off. Loopback only: the pod uses the node's network. Default: ${DEFAULT-VALUE}")
    HttpListenAddress httpListen;

    @Mixin
    PolicySettings policySettings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MounterDaemon()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        MountPolicy policy = policySettings.toPolicy();
        if (maxConnections < 1 || maxRequests != null && maxRequests < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--max-connections and --max-requests must be at least 1");
        }
        MountTable table = new MountTable();
        Health health = new Health();
        // metrics see every request (the observer) and upkeep (events: the watcher, start-up)
        MounterMetrics metrics = new MounterMetrics(table::size, health);
        MountEvents events = metrics;
        Files.createDirectories(stateDir);
        // Born here, outside the host namespace: the endpoint's threads live in the container's.
        StatusEndpoint.Starting httpStart = StatusEndpoint.startInBackground(httpListen, metrics, health);
        NamespacePinning.openClassPath();
        int hostNamespace;
        try {
            hostNamespace = NamespacePinning.openNamespace(hostMountNamespace);
        } catch (SyscallException e) {
            System.err.println("mounterd: cannot open the host mount namespace " + hostMountNamespace + ": "
                    + e.getMessage());
            httpStart.close();
            return 1;
        }
        SeqpacketSocket listener;
        try {
            listener = SocketPath.listen(socket, SOCKET_MODE);
        } catch (IOException e) {
            System.err.println("mounterd: refusing to start: " + e.getMessage());
            Syscalls.close(hostNamespace);
            httpStart.close();
            return 1;
        }
        int requests = maxRequests != null ? maxRequests : Math.max(1, maxConnections - 2);
        int workers = Math.max(maxConnections, requests + 2);
        // Started here, by the main thread: pinned workers hand process starts and /proc
        // scans to these and must never create a thread themselves.
        HostThreads hostThreads = HostThreads.start(HOST_THREADS);
        MountHelper helpers = new MountHelper(hostThreads, Map.of(
                "MOUNTER_SOCKET", socket.toAbsolutePath().toString(),
                "LIBMOUNT_FORCE_MOUNT2", "always"), Math.min(HOST_THREADS - 1, workers / 2));
        DaemonLocator daemons = () -> hostThreads.call(() -> FuseDaemons.byConnection(Path.of("/proc")));
        HostMounter mounter = new HostMounter();
        RequestHandler handler = new RequestHandler(policy, mounter, table, Clock.systemUTC(),
                helpers, daemons);
        handler.setObserver(metrics);
        handler.setHealth(health);
        handler.setGate(new RequestGate(requests));
        SocketServer server = new SocketServer(listener, handler, workers, () -> {
            NamespacePinning.pinCurrentThread(hostNamespace);
            HostMounter.warmUp();
        });
        TableKeeper keeper;
        try {
            // the table is rebuilt before anything is served; the keeper's threads, like
            // the pinned one it detaches dead mounts on, are born here on the main thread
            PinnedThread hostTask = PinnedThread.start("host-task", hostNamespace, () -> { });
            keeper = TableKeeper.start(new TableKeeper.Parts(stateDir, table, policy, hostTask, mounter,
                    Path.of("/proc"), health, events, Clock.systemUTC()));
        } catch (SyscallException e) {
            System.err.println("mounterd: cannot enter the host mount namespace " + hostMountNamespace + ": "
                    + e.getMessage());
            Syscalls.close(hostNamespace);
            abandon(listener, httpStart);
            return 1;
        }
        try {
            httpStart.await();
        } catch (IOException e) {
            System.err.println("mounterd: " + e.getMessage());
            Syscalls.close(hostNamespace);
            keeper.stop();
            abandon(listener, httpStart);
            return 1;
        }
        try {
            // before serving: a SIGTERM that comes as soon as the first request is answered
            // must find the hook (else the JVM exits without saving or removing the socket)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop(server, listener, keeper);
                httpStart.close();
            }, "shutdown"));
            server.start();
        } catch (SyscallException e) {
            System.err.println("mounterd: cannot enter the host mount namespace " + hostMountNamespace + ": "
                    + e.getMessage());
            return 1; // the hook saves the state and removes the socket
        } finally {
            Syscalls.close(hostNamespace);
        }
        log.atInfo().setMessage("ready").addKeyValue("socket", socket)
                .addKeyValue("host_mount_ns", hostMountNamespace).addKeyValue("http", httpListen)
                .addKeyValue("fstypes", policy.fstypes()).addKeyValue("prefixes", policy.targetPrefixes())
                .addKeyValue("uids", policy.uids()).log();
        server.awaitTermination();
        return 0;
    }

    /** A start that failed after the socket was bound: nothing was served. */
    private void abandon(SeqpacketSocket listener, StatusEndpoint.Starting httpStart) {
        listener.close();
        SocketPath.remove(socket);
        httpStart.close();
    }

    /**
     * SIGTERM: refuse new connections (the listener shut and its path gone), let requests
     * in flight finish and be answered, then stop watching and save the state. Bounded:
     * {@link #IN_FLIGHT_WAIT}, then at most half a second each for the watcher and the
     * writer to stop, and one save.
     */
    private void stop(SocketServer server, SeqpacketSocket listener, TableKeeper keeper) {
        long start = System.nanoTime();
        server.close();
        SocketPath.remove(socket);
        boolean answered = server.awaitTermination(IN_FLIGHT_WAIT);
        listener.close();
        boolean saved = keeper.stop();
        log.atInfo().setMessage("stopped").addKeyValue("op", "STOP").addKeyValue("requests_finished", answered)
                .addKeyValue("state_saved", saved).addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000)
                .log();
    }
}

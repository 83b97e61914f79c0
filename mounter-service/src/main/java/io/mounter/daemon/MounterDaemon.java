package io.mounter.daemon;

import io.mounter.Version;
import io.mounter.door.HttpListenAddress;
import io.mounter.door.SocketFile;
import io.mounter.door.SocketServer;
import io.mounter.door.UserShare;
import io.mounter.door.csi.CsiServer;
import io.mounter.door.StatusEndpoint;
import io.mounter.executor.PinnedExecutor;
import io.mounter.linux.Abi;
import io.mounter.linux.PeerProcess;
import io.mounter.linux.PrivateDirectory;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.observability.Health;
import io.mounter.observability.LogFormat;
import io.mounter.observability.MountEvents;
import io.mounter.observability.MounterMetrics;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.MountState;
import io.mounter.recovery.DaemonRespawn;
import io.mounter.recovery.MountNamespaceScan;
import io.mounter.recovery.PodRepair;
import io.mounter.request.DaemonLocator;
import io.mounter.request.MountHelper;
import io.mounter.request.DaemonNames;
import io.mounter.request.RequestGate;
import io.mounter.request.volume.VolumeOperations;
import io.mounter.request.RequestHandler;
import io.mounter.table.FuseDaemons;
import io.mounter.table.MountTable;
import io.mounter.table.TableKeeper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** mounterd: the program's flags and wiring. Performs forwarded mounts in the host mount namespace. */
@Command(name = "mounterd", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class, usageHelpWidth = 160,
        description = "Mounts on behalf of the mount container's helpers, in the host mount namespace.")
public final class MounterDaemon implements Callable<Integer> {
    static {
        // Above the logger field: logback reads its configuration when the first logger is made.
        LogFormat.chooseDefault("json");
    }

    private static final Logger log = LoggerFactory.getLogger(MounterDaemon.class);
    private static final int SOCKET_MODE = 0600;
    /**
     * Threads pinned in the host namespace. Mounts serialise on the kernel's namespace lock
     * anyway; more than one keeps requests moving while one waits on a slow unmount.
     */
    private static final int EXECUTOR_THREADS = 4;
    /** Mount helpers (RUN_MOUNT) running at once, at most; fewer than half the workers, since each waiting caller holds one and its helper's mount() needs another. */
    private static final int MAX_HELPERS = 3;
    /** On SIGTERM: how long requests in flight may take to finish and be answered (of a 5 s budget). */
    private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(3);
    /** The peers' processes, as /proc of mounterd's PID namespace (the mount container's) shows them. */
    private final PeerProcess peers = new PeerProcess(Path.of("/proc"));

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
            description = "Connections served at once, each by a thread of its own; a quarter more are kept"
                    + " for users' connections (setuid stand-ins), which may hold no more. Default: ${DEFAULT-VALUE}")
    int maxConnections;

    @Option(names = "--max-requests", paramLabel = "N",
            description = "Requests handled at once; past that a request waits at most "
                    + RequestGate.WAIT_FOR_PERMIT_MILLIS + " ms for a free slot,"
                    + " then is answered EAGAIN. mounterd runs N + 2 connection threads at least, so one"
                    + " is there to say so."
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

    @Mixin
    CsiSettings csiSettings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MounterDaemon()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        try {
            Abi.current();
        } catch (Abi.UnsupportedArchitectureException e) {
            return refuse("refusing to start: " + e.getMessage());
        }
        MountPolicy policy = policySettings.toPolicy();
        if (maxConnections < 1 || maxRequests != null && maxRequests < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--max-connections and --max-requests must be at least 1");
        }
        int requests = maxRequests != null ? maxRequests : Math.max(1, maxConnections - 2);
        // users (setuid stand-ins) hold at most their share, in workers of its own, so
        // that root's requests and STATUS always find one (door.UserShare)
        int userShare = Math.max(1, maxConnections / 4);
        int workers = Math.max(maxConnections, requests + 2) + userShare;
        MountTable table = new MountTable();
        Health health = new Health();
        // metrics see every request (the observer) and upkeep (events: the watcher, start-up)
        MounterMetrics metrics = new MounterMetrics(table::size, table::countByState, health);
        health.addCheck("mounts", () -> notServing(table.countByState()));
        Files.createDirectories(stateDir);
        String unsafeState = PrivateDirectory.problem(stateDir);
        if (unsafeState != null) {
            return refuse("refusing to start: the state directory " + stateDir + " " + unsafeState
                    + ": whoever can write it can put commands there that mounterd would run as root."
                    + " Make it mounterd's, 0755 or narrower (chmod go-w " + stateDir + ")");
        }
        try (OpenedAtStart opened = new OpenedAtStart()) {
            StatusEndpoint.Starting httpStart = opened.add(StatusEndpoint.startInBackground(httpListen, metrics, health));
            PinnedExecutor executor;
            try {
                executor = opened.add(PinnedExecutor.start(hostMountNamespace, EXECUTOR_THREADS));
            } catch (SyscallException e) {
                return refuse("cannot enter the host mount namespace " + hostMountNamespace + ": " + e.getMessage());
            }
            SeqpacketSocket listener;
            try {
                listener = opened.add(SocketFile.listen(socket, SOCKET_MODE));
                opened.add(() -> SocketFile.remove(socket));
            } catch (IOException e) {
                return refuse("refusing to start: " + e.getMessage());
            }
            MountHelper helpers = new MountHelper(Map.of(
                    "MOUNTER_SOCKET", socket.toAbsolutePath().toString(),
                    "LIBMOUNT_FORCE_MOUNT2", "always"), Math.max(1, Math.min(MAX_HELPERS, workers / 2)));
            DaemonRespawn respawn = opened.add(new DaemonRespawn(table, policy, executor,
                    (argv, timeout) -> helpers.run(argv, timeout).exitStatus(), podRepair(executor)));
            TableKeeper keeper;
            try {
                // the table is rebuilt before anything is served
                keeper = opened.add(TableKeeper.start(new TableKeeper.Parts(stateDir, table, policy, executor,
                        Path.of("/proc"), MountNamespaceScan.procOf(Path.of(hostMountNamespace)), health, (MountEvents) metrics, Clock.systemUTC(), respawn)));
            } catch (SyscallException e) {
                return refuse("cannot read the host's mounts: " + e.getMessage());
            }
            try {
                httpStart.await();
            } catch (IOException e) {
                return refuse(e.getMessage());
            }
            SocketServer server = new SocketServer(listener,
                    requestHandler(policy, executor, table, health, metrics, helpers, requests), workers,
                    new UserShare(peers, userShare));
            CsiServer csi;
            try {
                csi = csiSettings.enabled() ? opened.add(CsiServer.start(csiSettings.socket(), csiSettings.driverName,
                        csiSettings.nodeId(), new VolumeOperations(policy, executor, table, helpers, Clock.systemUTC()),
                        () -> true)) : null;
            } catch (IOException e) {
                return refuse("cannot serve CSI on " + csiSettings.endpoint + ": " + e.getMessage());
            }
            // before serving: a SIGTERM that comes as soon as the first request is answered
            // must find the hook (else the JVM exits without saving or removing the socket)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (csi != null) {
                    csi.close();
                }
                stop(server, listener, keeper);
                executor.close();
                httpStart.close();
            }, "shutdown"));
            opened.keep();
            server.start();
            log.atInfo().setMessage("ready").addKeyValue("socket", socket)
                    .addKeyValue("host_mount_ns", hostMountNamespace).addKeyValue("http", httpListen)
                    .addKeyValue("fstypes", policy.fstypes()).addKeyValue("prefixes", policy.targetPrefixes())
                    .addKeyValue("uids", policy.uids())
                    .addKeyValue("csi", csi == null ? "off" : csiSettings.socket() + " as " + csiSettings.driverName).log();
            server.awaitTermination();
            return 0;
        }
    }

    private static int refuse(String reason) {
        System.err.println("mounterd: " + reason);
        return 1;
    }

    /**
     * Repair in the pods' namespaces, found through the host's /proc: the one that holds
     * {@code --host-mount-ns} ({@code /host/proc/1/ns/mnt}). mounterd's own namespace is never
     * visited; the host's is, for other mounts of the dead filesystem there than the one the
     * respawn replaced (a CSI volume's published bind copies).
     */
    private PodRepair podRepair(PinnedExecutor executor) {
        Path namespace = Path.of(hostMountNamespace);
        Path hostProc = MountNamespaceScan.procOf(namespace).orElse(null);
        if (hostProc == null) {
            log.atWarn().setMessage("pods are not repaired").addKeyValue("host_mount_ns", hostMountNamespace)
                    .addKeyValue("reason", "not a PROC/PID/ns/mnt path, so the host's processes are not known").log();
        }
        // the host's namespace is visited too: a CSI volume's published targets are bind
        // copies there of the staged mount the respawn replaced
        Set<Long> skip = new HashSet<>();
        skip.add(MountNamespaceScan.namespaceInode(Path.of("/proc/self/ns/mnt")));
        return new PodRepair(executor, hostProc, skip);
    }

    /** Null while every mount serves, else how many do not ("1 recovering, 2 dead"). */
    static String notServing(Map<MountState, Integer> counts) {
        String listed = counts.entrySet().stream().filter(e -> e.getKey() != MountState.SERVING && e.getValue() > 0)
                .map(e -> e.getValue() + " " + e.getKey().label()).collect(Collectors.joining(", "));
        return listed.isEmpty() ? null : listed + " (mounterctl list says why)";
    }

    private RequestHandler requestHandler(MountPolicy policy, PinnedExecutor executor, MountTable table, Health health,
                                          MounterMetrics metrics, MountHelper helpers, int requests) {
        DaemonLocator daemons = () -> FuseDaemons.byConnection(Path.of("/proc"));
        RequestHandler handler = new RequestHandler(policy, executor, table, Clock.systemUTC(), helpers, daemons);
        handler.setObserver(metrics);
        handler.setHealth(health);
        handler.setGate(new RequestGate(requests));
        handler.setDaemonNames(DaemonNames.of(peers));
        handler.setRealUids(peers::realUid);
        return handler;
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
        SocketFile.remove(socket);
        boolean answered = server.awaitTermination(IN_FLIGHT_WAIT);
        listener.close();
        boolean saved = keeper.stop();
        log.atInfo().setMessage("stopped").addKeyValue("op", "STOP").addKeyValue("requests_finished", answered)
                .addKeyValue("state_saved", saved).addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000)
                .log();
    }
}

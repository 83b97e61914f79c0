package io.mounter.server;

import io.mounter.Version;
import io.mounter.linux.NamespacePinning;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.MountPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
    private static final Logger log = LoggerFactory.getLogger(MounterDaemon.class);
    private static final int SOCKET_MODE = 0600;
    /** Helpers running at once, plus room for a /proc scan; fewer than the workers, which wait on them. */
    private static final int HOST_THREADS = 4;

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

    @Mixin
    PolicySettings policySettings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MounterDaemon()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        MountPolicy policy = policySettings.toPolicy();
        Files.createDirectories(stateDir);
        NamespacePinning.openClassPath();
        int hostNamespace;
        try {
            hostNamespace = NamespacePinning.openNamespace(hostMountNamespace);
        } catch (SyscallException e) {
            System.err.println("mounterd: cannot open the host mount namespace " + hostMountNamespace + ": "
                    + e.getMessage());
            return 1;
        }
        SeqpacketSocket listener = SocketPath.listen(socket, SOCKET_MODE);
        // Started here, by the main thread: pinned workers hand process starts and /proc
        // scans to these and must never create a thread themselves.
        HostThreads hostThreads = HostThreads.start(HOST_THREADS);
        MountHelper helpers = new MountHelper(hostThreads, Map.of(
                "MOUNTER_SOCKET", socket.toAbsolutePath().toString(),
                "LIBMOUNT_FORCE_MOUNT2", "always"), Math.min(HOST_THREADS - 1, maxConnections / 2));
        DaemonLocator daemons = () -> hostThreads.call(() -> FuseDaemons.byConnection(Path.of("/proc")));
        RequestHandler handler = new RequestHandler(policy, new HostMounter(), new MountTable(), Clock.systemUTC(),
                helpers, daemons);
        SocketServer server = new SocketServer(listener, handler, maxConnections, () -> {
            NamespacePinning.pinCurrentThread(hostNamespace);
            HostMounter.warmUp();
        });
        try {
            server.start();
        } catch (SyscallException e) {
            System.err.println("mounterd: cannot enter the host mount namespace " + hostMountNamespace + ": "
                    + e.getMessage());
            listener.close();
            SocketPath.remove(socket);
            return 1;
        } finally {
            Syscalls.close(hostNamespace);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            listener.close();
            SocketPath.remove(socket);
        }, "shutdown"));
        log.info("ready socket={} host_mount_ns={} fstypes={} prefixes={} uids={}", socket, hostMountNamespace,
                policy.fstypes(), policy.targetPrefixes(), policy.uids());
        server.awaitTermination();
        return 0;
    }
}

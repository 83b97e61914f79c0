package io.mounter.daemon;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** The CSI node door's flags (ARCHITECTURE.md: a contract of mounterd's). Off unless --csi-endpoint is given. */
final class CsiSettings {
    /** The project's own name, reverse-domain style. */
    static final String DEFAULT_DRIVER_NAME = "csi.mounter.io";

    @Option(names = "--csi-endpoint", paramLabel = "PATH",
            description = "Serve the CSI Identity and Node services on this unix socket (mode 0600), conventionally"
                    + " /var/lib/kubelet/plugins/DRIVER/csi.sock; a unix:// prefix is allowed. Default: off")
    String endpoint;

    @Option(names = "--csi-driver-name", paramLabel = "NAME", defaultValue = DEFAULT_DRIVER_NAME,
            description = "The CSI driver's name, as the CSIDriver object and the PersistentVolumes name it."
                    + " Default: ${DEFAULT-VALUE}")
    String driverName;

    @Option(names = "--node-id", paramLabel = "ID",
            description = "NodeGetInfo's node_id. Default: $NODE_NAME, else the hostname")
    String nodeId;

    boolean enabled() {
        return endpoint != null && !endpoint.isBlank();
    }

    Path socket() {
        return Path.of(endpoint.startsWith("unix://") ? endpoint.substring("unix://".length()) : endpoint);
    }

    String nodeId() {
        return nodeId(nodeId, System.getenv(), CsiSettings::hostname);
    }

    /** --node-id, else NODE_NAME (the DaemonSet sets it to the node's name), else the hostname. */
    static String nodeId(String flag, Map<String, String> environment, Supplier<String> hostname) {
        if (flag != null && !flag.isBlank()) {
            return flag;
        }
        String fromEnvironment = environment.get("NODE_NAME");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        return hostname.get();
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
    }
}

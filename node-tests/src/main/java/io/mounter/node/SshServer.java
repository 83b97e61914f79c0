package io.mounter.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * A real sshd on 127.0.0.1 in the node network, with its own config, host key,
 * authorized_keys and client key under a fixture directory, for sshfs. It runs in mount and
 * PID namespaces of its own: a tmpfs /run gives it /run/sshd (its privilege-separation
 * directory) without touching the machine's /run, and the PID namespace takes its session
 * processes down with it.
 */
public final class SshServer implements AutoCloseable {
    public static final String ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 2022;

    private static final String HOLDER_SCRIPT = """
            set -eu
            dir=$1
            read -r pid _ < /proc/self/stat
            mount -t proc proc /proc
            mount -t tmpfs -o mode=755 sshd-run /run
            mkdir -m 755 /run/sshd
            # sshd re-execs itself, so it must be started by absolute path
            /usr/sbin/sshd -D -e -f "$dir/sshd_config" >>"$dir/sshd.log" 2>&1 </dev/null &
            exec perl -e "$hold" -- "$pid"
            """;

    private final HolderProcess holder;
    private final Path directory;
    private final int port;

    private SshServer(HolderProcess holder, Path directory, int port) {
        this.holder = holder;
        this.directory = directory;
        this.port = port;
    }

    /**
     * Generates keys and config under {@code directory} (created; the keys of an earlier
     * server there are kept, so its clients trust this one too), starts sshd on
     * 127.0.0.1:{@code port} in the node network and waits until it accepts connections.
     * Throws IllegalStateException, with sshd's log, on failure.
     */
    public static SshServer start(NodeNetwork network, Path directory, int port, Duration timeout) {
        if (network.accepts(ADDRESS, port)) {
            throw new IllegalStateException(ADDRESS + ":" + port + " is taken in the node network");
        }
        try {
            Files.createDirectories(directory.resolve("export"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        generateKey(directory.resolve("host_key"), "mounter-test-host");
        generateKey(directory.resolve("client_key"), "mounter-test-client");
        try {
            Files.copy(directory.resolve("client_key.pub"), directory.resolve("authorized_keys"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(directory.resolve("sshd_config"), config(directory, port));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sshd files under " + directory, e);
        }
        HolderProcess holder = network.startServerHolder("sshd", HOLDER_SCRIPT, List.of(directory.toString()),
                directory.resolve("holder.log"), timeout);
        SshServer server = new SshServer(holder, directory, port);
        try {
            network.awaitListening(ADDRESS, port, timeout);
            return server;
        } catch (RuntimeException e) {
            String log = server.log();
            server.close();
            throw new IllegalStateException(e.getMessage() + "\nsshd log:\n" + log, e);
        }
    }

    private static void generateKey(Path file, String comment) {
        if (!Files.exists(file)) {
            Command.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file.toString()).run();
        }
    }

    public static SshServer start(NodeNetwork network, Path directory) {
        return start(network, directory, DEFAULT_PORT, Duration.ofSeconds(10));
    }

    // StrictModes no: the fixture's temp directories do not have the owner and modes sshd
    // demands. UsePAM no: nothing of the machine's PAM stack runs (root's password is "*",
    // which sshd without PAM does not treat as locked).
    private static String config(Path directory, int port) {
        return """
                Port %d
                ListenAddress %s
                HostKey %s
                AuthorizedKeysFile %s
                PermitRootLogin prohibit-password
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PidFile /run/sshd.pid
                Subsystem sftp internal-sftp
                """.formatted(port, ADDRESS, directory.resolve("host_key"), directory.resolve("authorized_keys"));
    }

    public int port() {
        return port;
    }

    public long holderPid() {
        return holder.pid();
    }

    /** The directory sshfs clients mount; files written through sshfs appear here. */
    public Path exportDir() {
        return directory.resolve("export");
    }

    public Path clientKey() {
        return directory.resolve("client_key");
    }

    /** {@code root@127.0.0.1:<export dir>}: the sshfs source. */
    public String source() {
        return "root@" + ADDRESS + ":" + exportDir();
    }

    /**
     * The {@code -o} options an sshfs client needs. BatchMode=yes makes ssh fail instead of
     * prompting for a password if the key is refused.
     */
    public String sshfsOptions() {
        return sshfsOptions(clientKey());
    }

    /** As {@link #sshfsOptions()}, with a copy of {@link #clientKey()} (one a user may read, say). */
    public String sshfsOptions(Path identityFile) {
        return "IdentityFile=" + identityFile + ",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null"
                + ",BatchMode=yes,port=" + port;
    }

    /** The whole native command: {@code sshfs -o OPTIONS SOURCE TARGET}. */
    public List<String> sshfsCommand(Path target) {
        return List.of("sshfs", "-o", sshfsOptions(), source(), target.toString());
    }

    /** sshd's log (-e sends it to stderr, which goes here). */
    public String log() {
        try {
            return Files.readString(directory.resolve("sshd.log"));
        } catch (IOException e) {
            return "(no sshd log: " + e + ")";
        }
    }

    /** Ends sshd's PID namespace, sessions included. Idempotent. */
    @Override
    public void close() {
        holder.close();
    }

    @Override
    public String toString() {
        return "SshServer[" + ADDRESS + ":" + port + "]";
    }
}

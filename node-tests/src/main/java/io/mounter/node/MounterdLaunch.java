package io.mounter.node;

import io.mounter.client.MounterClient;
import io.mounter.linux.SyscallException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One more start of dist/bin/mounterd in a node's mount container, beside the node's own,
 * with a socket and state directory of its own: how long it took to answer, what it holds,
 * and a clean stop (SIGTERM, as the kubelet stops a pod). For the start-up figures of the
 * benchmark and the AppCDS training run.
 */
public final class MounterdLaunch implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(1);

    private final Process process;
    private final Path socket;
    private final Path log;
    private final Duration readyAfter;

    private MounterdLaunch(Process process, Path socket, Path log, Duration readyAfter) {
        this.process = process;
        this.socket = socket;
        this.log = log;
        this.readyAfter = readyAfter;
    }

    /**
     * Starts mounterd as {@code name} with {@code environment} (MOUNTER_JAVA_OPTS,
     * MOUNTER_CDS_ARCHIVE, MOUNTER_CDS_DUMP...) and waits until a LIST on its socket is
     * answered, polling every millisecond. Throws IllegalStateException, with the log, if it
     * exits or does not answer in time.
     */
    public static MounterdLaunch start(MounterNode node, String name, Map<String, String> environment,
                                       List<String> extraArgs) {
        String socket = "/run/mounter/" + name + ".sock";
        List<String> argv = new ArrayList<>(List.of(node.dist().bin("mounterd").toString(),
                "--socket", socket,
                "--host-mount-ns", "/host/proc/" + node.host().pid() + "/ns/mnt",
                "--state-dir", "/var/lib/mounter-" + name,
                // the status endpoint on a socket of its own: the node's mounterd has the port
                "--http-listen", "unix:/run/mounter/" + name + "-http.sock",
                "--allow-target-prefix", node.node().kubeletPodsDir().toString()));
        argv.addAll(extraArgs);
        Map<String, String> env = new HashMap<>(Map.of("LIBMOUNT_FORCE_MOUNT2", "always"));
        env.putAll(environment);
        Path log = node.node().logDir().resolve("mounterd-" + name + ".log");
        Path outside = node.container().hostView(socket);
        long start = System.nanoTime();
        Process process = node.container().start(argv, env, log);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mounterd " + name + " exited with " + process.exitValue() + ":\n"
                        + read(log));
            }
            if (answers(outside)) {
                return new MounterdLaunch(process, outside, log, Duration.ofNanos(System.nanoTime() - start));
            }
            if (System.nanoTime() - start > READY_TIMEOUT.toNanos()) {
                Processes.terminateTree(process.toHandle(), Duration.ofSeconds(5));
                throw new IllegalStateException("mounterd " + name + " did not answer within " + READY_TIMEOUT
                        + ":\n" + read(log));
            }
            Processes.sleep(POLL);
        }
    }

    private static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (MounterClient client = MounterClient.connect(socket.toString(), Duration.ofSeconds(5))) {
            client.list();
            return true;
        } catch (SyscallException notYet) {
            return false;
        }
    }

    /** From the start of the launcher (nsenter, sh, java) until the first LIST was answered. */
    public Duration readyAfter() {
        return readyAfter;
    }

    /** The JVM's pid: nsenter's child, which the launcher exec'd into java. */
    public long pid() {
        return process.toHandle().children().findFirst().map(ProcessHandle::pid)
                .orElseThrow(() -> new IllegalStateException("mounterd has no process under nsenter"));
    }

    public MounterClient client() {
        return MounterClient.connect(socket.toString(), Duration.ofSeconds(10));
    }

    public ProcessResources resources() {
        return ProcessResources.of(pid());
    }

    public String log() {
        return read(log);
    }

    /**
     * SIGTERM to the JVM and waits up to {@code grace} for it to exit (shutdown hooks, and a
     * CDS archive being written); then whatever is left is killed. Returns whether it exited
     * by itself.
     */
    public boolean stop(Duration grace) {
        ProcessHandle jvm = process.toHandle().children().findFirst().orElse(null);
        boolean exited = true;
        if (jvm != null) {
            jvm.destroy();
            exited = Processes.waitForExit(jvm, grace);
        }
        Processes.terminateTree(process.toHandle(), Duration.ofSeconds(5));
        return exited;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}

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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * dist/bin/mounterd running inside a simulated node's mount container, as the static pod
 * runs it: socket in the container's /run, host namespace reached through the host's /proc
 * at /host/proc, and the node's kubelet pod directory as the allowed target prefix.
 */
public final class Mounterd implements AutoCloseable {
    /** The socket as the container sees it: the default path the shim connects to. */
    public static final String SOCKET = "/run/mounter/mounter.sock";
    /** The state directory as the container sees it (the static pod's default). */
    public static final String STATE_DIR = "/var/lib/mounter";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    /**
     * Set in the static pod's spec: mount helpers mounterd runs go through libmount, which
     * must use mount(2) (util-linux 2.39+ would try fsopen/fsmount first). The container's
     * base environment has it too; it is here because mounterd's pod spec must say it.
     */
    private static final Map<String, String> ENVIRONMENT = Map.of("LIBMOUNT_FORCE_MOUNT2", "always");

    private final MountContainer container;
    private final Process process;
    private final Path log;
    private final String stateDir;

    private Mounterd(MountContainer container, Process process, Path log, String stateDir) {
        this.container = container;
        this.process = process;
        this.log = log;
        this.stateDir = stateDir;
    }

    /** Starts mounterd with {@code extraArgs} added and waits until it answers. */
    public static Mounterd start(SimulatedNode node, Distribution dist, List<String> extraArgs) {
        return start(node, dist, "", Map.of(), extraArgs);
    }

    /**
     * Starts {@code dist}'s mounterd (its own launcher and jars) with {@code extraArgs} added
     * and {@code environment} set besides the pod's, and waits until it answers. On the node's
     * socket, so only one may run at a time; a {@code name} other than "" gives it a state
     * directory ({@code STATE_DIR-NAME}) and log ({@code mounterd-NAME.log}) of its own.
     */
    public static Mounterd start(SimulatedNode node, Distribution dist, String name, Map<String, String> environment,
                                 List<String> extraArgs) {
        String suffix = name.isEmpty() ? "" : "-" + name;
        String stateDir = STATE_DIR + suffix;
        List<String> argv = new ArrayList<>(List.of(dist.bin("mounterd").toString(),
                "--socket", SOCKET,
                "--host-mount-ns", "/host/proc/" + node.host().pid() + "/ns/mnt",
                "--state-dir", stateDir,
                "--allow-target-prefix", node.kubeletPodsDir().toString()));
        argv.addAll(extraArgs);
        Map<String, String> env = new HashMap<>(ENVIRONMENT);
        env.putAll(environment);
        Path log = node.logDir().resolve("mounterd" + suffix + ".log");
        Process process = node.container().start(argv, env, log);
        Mounterd mounterd = new Mounterd(node.container(), process, log, stateDir);
        try {
            mounterd.awaitReady();
        } catch (RuntimeException e) {
            mounterd.close();
            throw e;
        }
        return mounterd;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mounterd exited with " + process.exitValue() + ":\n" + log());
            }
            try (MounterClient client = client()) {
                client.list();
                return;
            } catch (SyscallException notYet) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("mounterd did not answer within " + READY_TIMEOUT + ":\n" + log());
                }
                Processes.sleep(Duration.ofMillis(20));
            }
        }
    }

    /** The socket as this (root namespace) JVM reaches it: through the container's root. */
    public Path socketFromOutside() {
        return container.hostView(SOCKET);
    }

    public MounterClient client() {
        return MounterClient.connect(socketFromOutside().toString(), Duration.ofSeconds(10));
    }

    /** The host pid of the mounterd JVM (the child nsenter forked). */
    public long pid() {
        return process.toHandle().children().findFirst().map(ProcessHandle::pid).orElse(-1L);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGKILL to the mounterd JVM, as a crash or the OOM killer would end it: no shutdown
     * hook runs. Waits until it is gone; the FUSE daemons it served run on.
     */
    public void kill() {
        signal(ProcessHandle::destroyForcibly);
        awaitExit(Duration.ofSeconds(10));
    }

    /**
     * SIGTERM to the mounterd JVM, as kubelet stops the pod (nsenter forwards no signal,
     * so the JVM itself is signalled). Does not wait.
     */
    public void terminate() {
        signal(ProcessHandle::destroy);
    }

    private void signal(Consumer<ProcessHandle> how) {
        long jvm = pid();
        if (jvm < 0) {
            throw new IllegalStateException("mounterd is not running:\n" + log());
        }
        ProcessHandle.of(jvm).ifPresent(how);
    }

    /**
     * Waits until mounterd has exited; returns how long that took, or throws
     * IllegalStateException if it still runs after {@code limit}.
     */
    public Duration awaitExit(Duration limit) {
        long start = System.nanoTime();
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("mounterd still runs after " + limit + ":\n" + log());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The state directory as this (root namespace) JVM reaches it: through the container's root. */
    public Path stateDirFromOutside() {
        return container.hostView(stateDir);
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        Processes.terminateTree(process.toHandle(), Duration.ofSeconds(5));
    }
}

package io.mounter.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A mount namespace kept alive by a {@link HolderProcess}: the simulated host's, a pod's.
 * Commands run in it through nsenter with {@link #nsenterFlags()}.
 */
public abstract class HeldNamespace implements AutoCloseable {
    private final HolderProcess holder;

    HeldNamespace(HolderProcess holder) {
        this.holder = holder;
    }

    /** The namespaces a command joins: {@code -m}, and more. */
    abstract List<String> nsenterFlags();

    public long pid() {
        return holder.pid();
    }

    /** {@code /proc/PID/ns/mnt}: the namespace, as this JVM reaches it. */
    public Path mountNsPath() {
        return Path.of("/proc", Long.toString(pid()), "ns", "mnt");
    }

    public long mountNamespaceInode() {
        return Processes.namespaceInode(pid(), "mnt");
    }

    /** argv run in this namespace ({@code nsenter -t PID FLAGS --}). */
    public Command command(List<String> argv) {
        List<String> prefix = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid())));
        prefix.addAll(nsenterFlags());
        prefix.add("--");
        return Command.of(argv).prefixedWith(prefix);
    }

    /** Runs argv here and returns the result whatever its exit status. */
    public CommandResult exec(String... argv) {
        return command(List.of(argv)).exec();
    }

    /** Runs argv here; throws CommandFailedException unless it exits 0. */
    public CommandResult run(String... argv) {
        return command(List.of(argv)).run();
    }

    /** What is mounted here, read from /proc/PID/mountinfo. */
    public NamespaceMounts mountinfo() {
        return NamespaceMounts.of(pid());
    }

    /** Ends the holder; with no process left in it the namespace and its mounts go. Idempotent. */
    @Override
    public void close() {
        holder.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pid " + pid() + "]";
    }
}

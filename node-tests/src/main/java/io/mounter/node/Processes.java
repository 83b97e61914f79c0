package io.mounter.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Queries on the machine's process table (/proc as the JVM sees it), and the one place
 * that kills processes. Every pid here is a pid in the JVM's PID namespace.
 *
 * <p>Reading another process's /proc/PID/ns/* needs ptrace access: this sandbox's PID 1
 * answers EACCES even to root, so scans skip what they cannot read.
 */
public final class Processes {
    private static final Path PROC = Path.of("/proc");

    private Processes() {
    }

    /** The inode of /proc/PID/ns/TYPE (TYPE: pid, mnt, net, ...); throws if unreadable. */
    public static long namespaceInode(long pid, String type) {
        Path link = PROC.resolve(Long.toString(pid)).resolve("ns").resolve(type);
        try {
            // the link text is "pid:[4026531836]"
            String target = Files.readSymbolicLink(link).toString();
            return Long.parseLong(target.substring(target.indexOf('[') + 1, target.indexOf(']')));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + link + ": " + e, e);
        }
    }

    public static long pidNamespaceInode(long pid) {
        return namespaceInode(pid, "pid");
    }

    /** Every pid the JVM can see now. */
    public static List<Long> all() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                pids.add(Long.parseLong(entry.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e, e);
        }
        return pids;
    }

    /** Pids whose PID namespace has this inode (a container's processes, as the machine sees them). */
    public static List<Long> inPidNamespace(long pidNamespaceInode) {
        return inNamespace("pid", pidNamespaceInode);
    }

    /** Pids whose /proc/PID/ns/TYPE has this inode (TYPE: pid, mnt, net, ...). */
    public static List<Long> inNamespace(String type, long inode) {
        List<Long> members = new ArrayList<>();
        for (long pid : all()) {
            if (readNamespaceInode(pid, type).orElse(-1L) == inode) {
                members.add(pid);
            }
        }
        return members;
    }

    /** Process table entries of that PID namespace (vanished processes are left out). */
    public static List<ProcessInfo> infoInPidNamespace(long pidNamespaceInode) {
        List<ProcessInfo> infos = new ArrayList<>();
        for (long pid : inPidNamespace(pidNamespaceInode)) {
            info(pid).ifPresent(infos::add);
        }
        return infos;
    }

    /** The first process in that PID namespace whose comm (at most 15 chars) equals {@code comm}. */
    public static Optional<ProcessInfo> findByComm(long pidNamespaceInode, String comm) {
        return findInPidNamespace(pidNamespaceInode, info -> info.comm().equals(comm));
    }

    /** The first process in that PID namespace whose joined cmdline contains {@code text}. */
    public static Optional<ProcessInfo> findByCmdline(long pidNamespaceInode, String text) {
        return findInPidNamespace(pidNamespaceInode, info -> info.commandLine().contains(text));
    }

    public static Optional<ProcessInfo> findInPidNamespace(long pidNamespaceInode, Predicate<ProcessInfo> test) {
        return infoInPidNamespace(pidNamespaceInode).stream().filter(test).findFirst();
    }

    /** Zombies (state Z) in that PID namespace: children whose parent never reaped them. */
    public static List<ProcessInfo> zombiesIn(long pidNamespaceInode) {
        return infoInPidNamespace(pidNamespaceInode).stream().filter(ProcessInfo::isZombie).toList();
    }

    /** The process's stat and cmdline, or empty if it is gone. */
    /**
     * The pid a process has in its own (innermost) PID namespace, from the NSpid line of
     * /proc/PID/status; -1 if it is gone.
     */
    public static long pidInOwnNamespace(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] pids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return Long.parseLong(pids[pids.length - 1]);
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    public static Optional<ProcessInfo> info(long pid) {
        Path dir = PROC.resolve(Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"));
            // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so cut at the last ')'
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String comm = stat.substring(open + 1, close);
            String[] rest = stat.substring(close + 2).split(" ");
            byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
            List<String> cmdline = raw.length == 0 ? List.of()
                    : Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
            return Optional.of(new ProcessInfo(pid, Long.parseLong(rest[1]), rest[0].charAt(0), comm, cmdline));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // exited between listing and reading
        }
    }

    public static boolean isZombie(long pid) {
        return info(pid).map(ProcessInfo::isZombie).orElse(false);
    }

    /** Exists and has not exited (a zombie has exited). */
    public static boolean isRunning(long pid) {
        return info(pid).map(info -> !info.isZombie()).orElse(false);
    }

    /** Waits until the pid is gone or a zombie; false if it still runs after the timeout. */
    public static boolean waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleep(Duration.ofMillis(10));
        }
        return true;
    }

    /** As {@link #waitForExit(long, Duration)}, immune to pid reuse: the handle knows the start time. */
    public static boolean waitForExit(ProcessHandle process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(process)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleep(Duration.ofMillis(10));
        }
        return true;
    }

    /** Alive and not a zombie. */
    public static boolean isRunning(ProcessHandle process) {
        return process.isAlive() && !isZombie(process.pid());
    }

    /**
     * SIGKILL to a process this fixture started and to all its descendants, deepest first.
     * The handle carries the start time, so a recycled pid is never hit.
     */
    public static void killTree(ProcessHandle root) {
        List<ProcessHandle> descendants = root.descendants().toList();
        for (int i = descendants.size() - 1; i >= 0; i--) {
            descendants.get(i).destroyForcibly();
        }
        root.destroyForcibly();
    }

    /**
     * SIGTERM to the descendants and the root, then SIGKILL to whatever still runs after
     * {@code grace}. Use it for processes started with nsenter: nsenter forwards no signal
     * to the child it forked, so the child must be signalled itself.
     */
    public static void terminateTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        while (all.stream().anyMatch(Processes::isRunning) && System.nanoTime() - deadline < 0) {
            sleep(Duration.ofMillis(10));
        }
        killTree(root);
        all.forEach(ProcessHandle::destroyForcibly);
    }

    static Optional<Long> readNamespaceInode(long pid, String type) {
        try {
            return Optional.of(namespaceInode(pid, type));
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

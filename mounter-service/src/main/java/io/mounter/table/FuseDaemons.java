package io.mounter.table;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds which process serves each FUSE connection: the holder of a /dev/fuse descriptor
 * whose fdinfo names that connection ({@code fuse_connection: N}, the minor of the mount's
 * device). Neither the mount() caller nor its parent is a reliable answer: glusterfs mounts
 * from a short-lived child and libfuse daemons fork after mounting.
 */
public final class FuseDaemons {
    private static final Pattern CONNECTION = Pattern.compile("(?m)^fuse_connection:\\s*(\\d+)$");

    private FuseDaemons() {
    }

    /**
     * Scans {@code procRoot} (a procfs) and maps connection ids to pids. Processes that
     * vanish or cannot be read during the scan are skipped. Must run on a host thread.
     */
    public static Map<Integer, Integer> byConnection(Path procRoot) {
        Map<Integer, Integer> first = new HashMap<>();
        holders(procRoot).forEach((connection, pids) -> first.put(connection, pids.get(0)));
        return first;
    }

    /**
     * As {@link #byConnection(Path)}, with every holder of each connection in scan order: a
     * connection stays alive while any of them holds it (a daemon's forked children, the
     * glusterfs process that opened /dev/fuse and the one that serves it).
     */
    static Map<Integer, List<Integer>> holders(Path procRoot) {
        Map<Integer, List<Integer>> found = new HashMap<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(procRoot,
                entry -> entry.getFileName().toString().matches("[0-9]+"))) {
            for (Path process : processes) {
                int pid = Integer.parseInt(process.getFileName().toString());
                for (int connection : connections(process)) {
                    found.computeIfAbsent(connection, c -> new ArrayList<>()).add(pid);
                }
            }
        } catch (IOException e) {
            // procfs unreadable: no daemon is known, which LIST reports as 0
        }
        return found;
    }

    /** Whether process {@code pid} holds a /dev/fuse descriptor of {@code connection} now. */
    static boolean holds(Path procRoot, int pid, int connection) {
        return connections(procRoot.resolve(Integer.toString(pid))).contains(connection);
    }

    /** The connections of the process's /dev/fuse descriptors; empty if it is gone or unreadable. */
    /**
     * The argv of {@code pid} if every one of its uids is 0; empty otherwise, or once it is
     * gone. Only a root daemon's command is ever run again, as root.
     */
    static List<String> rootCommandLine(Path procRoot, int pid) {
        Path process = procRoot.resolve(Integer.toString(pid));
        try {
            boolean root = Files.readAllLines(process.resolve("status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .anyMatch(line -> List.of(line.substring(4).trim().split("\\s+")).stream().allMatch("0"::equals));
            if (!root) {
                return List.of();
            }
            byte[] raw = Files.readAllBytes(process.resolve("cmdline"));
            List<String> argv = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    argv.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return List.copyOf(argv);
        } catch (IOException gone) {
            return List.of();
        }
    }

    private static Set<Integer> connections(Path process) {
        Set<Integer> found = new LinkedHashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                if (isFuseDevice(fd)) {
                    int connection = connectionOf(process.resolve("fdinfo").resolve(fd.getFileName().toString()));
                    if (connection >= 0) {
                        found.add(connection);
                    }
                }
            }
        } catch (IOException e) {
            // gone or not ours to read
        }
        return found;
    }

    /**
     * The fuse_connection an fdinfo names, or -1. A descriptor closed since the fd listing
     * (a libfuse clone_fd worker ending) must not hide the process's other descriptors.
     */
    private static int connectionOf(Path fdinfo) {
        try {
            Matcher m = CONNECTION.matcher(Files.readString(fdinfo));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean isFuseDevice(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().equals("/dev/fuse");
        } catch (IOException e) {
            return false;
        }
    }
}

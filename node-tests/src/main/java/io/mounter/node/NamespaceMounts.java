package io.mounter.node;

import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What is mounted in one mount namespace as one process sees it, at one moment: that
 * process's /proc/PID/mountinfo parsed by mounterd's own parser ({@link MountInfo#parse}),
 * with the queries the tests and the fixture ask. (Not mounterd's table of the mounts it
 * made: this is the kernel's view, read from outside.)
 */
public final class NamespaceMounts {
    private final List<MountInfo.Entry> entries;

    private NamespaceMounts(List<MountInfo.Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * /proc/PID/mountinfo. The kernel prints mount points relative to that process's root,
     * so a pivoted container's mounts read as the container sees them. Throws if unreadable.
     */
    public static NamespaceMounts of(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "mountinfo"));
    }

    /** The JVM's own namespace (normally the machine's root mount namespace). */
    public static NamespaceMounts ofSelf() {
        return read(Path.of("/proc/self/mountinfo"));
    }

    public static NamespaceMounts read(Path mountinfo) {
        String text;
        try {
            text = Files.readString(mountinfo);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + mountinfo + ": " + e, e);
        }
        return parse(text);
    }

    /** Parses mountinfo text; throws IllegalArgumentException naming the bad line. */
    public static NamespaceMounts parse(String mountinfo) {
        return new NamespaceMounts(MountInfo.parse(mountinfo));
    }

    /** True if the entry's mount point is {@code dir} or lies below it (whole path components). */
    public static boolean isAtOrUnder(MountInfo.Entry entry, Path dir) {
        return Path.of(entry.mountPoint()).startsWith(dir.normalize());
    }

    /** Every mount, in the kernel's order (a mount after the ones it covers). */
    public List<MountInfo.Entry> entries() {
        return entries;
    }

    /** Something is mounted exactly at this path. */
    public boolean isMounted(Path mountPoint) {
        return at(mountPoint).isPresent();
    }

    /** The topmost mount at this path, the one a path walk enters. */
    public Optional<MountInfo.Entry> at(Path mountPoint) {
        return MountInfo.topmostAt(entries, mountPoint.normalize().toString());
    }

    /** Mounts at {@code dir} or below it, deepest path first (the order to unmount them in). */
    public List<MountInfo.Entry> under(Path dir) {
        List<MountInfo.Entry> found = new ArrayList<>();
        for (MountInfo.Entry entry : entries) {
            if (isAtOrUnder(entry, dir)) {
                found.add(0, entry); // later (upper) mounts first among equal paths
            }
        }
        found.sort(Comparator.comparingInt((MountInfo.Entry e) -> Path.of(e.mountPoint()).getNameCount()).reversed());
        return found;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (MountInfo.Entry entry : entries) {
            text.append(entry.mountPoint()).append(' ').append(entry.fstype()).append(' ')
                    .append(entry.source()).append('\n');
        }
        return text.toString();
    }
}

package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** A parsed snapshot of one mount namespace as one process sees it. */
public final class MountTable {
    private final List<MountEntry> entries;

    private MountTable(List<MountEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * /proc/PID/mountinfo. The kernel prints mount points relative to that process's root,
     * so a pivoted container's table reads as the container sees it. Throws if unreadable.
     */
    public static MountTable of(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "mountinfo"));
    }

    /** The JVM's own namespace (normally the machine's root mount namespace). */
    public static MountTable ofSelf() {
        return read(Path.of("/proc/self/mountinfo"));
    }

    public static MountTable read(Path mountinfo) {
        try {
            return parse(Files.readString(mountinfo));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + mountinfo + ": " + e, e);
        }
    }

    /** Parses mountinfo text; throws IllegalArgumentException naming the bad line. */
    public static MountTable parse(String mountinfo) {
        List<MountEntry> parsed = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            if (!line.isBlank()) {
                parsed.add(parseLine(line));
            }
        }
        return new MountTable(parsed);
    }

    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    private static MountEntry parseLine(String line) {
        String[] fields = line.split(" ");
        int separator = Arrays.asList(fields).indexOf("-");
        if (separator < 6 || fields.length < separator + 3) {
            throw new IllegalArgumentException("not a mountinfo line: " + line);
        }
        try {
            return new MountEntry(
                    Integer.parseInt(fields[0]),
                    Integer.parseInt(fields[1]),
                    fields[2],
                    unescape(fields[3]),
                    Path.of(unescape(fields[4])),
                    fields[5],
                    Arrays.asList(fields).subList(6, separator),
                    unescape(fields[separator + 1]),
                    unescape(fields[separator + 2]),
                    fields.length > separator + 3 ? unescape(fields[separator + 3]) : "");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a mountinfo line: " + line, e);
        }
    }

    // the kernel escapes space, tab, newline and backslash as \ooo (octal)
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public List<MountEntry> entries() {
        return entries;
    }

    /** Something is mounted exactly at this path. */
    public boolean isMounted(Path mountPoint) {
        return at(mountPoint).isPresent();
    }

    /** The topmost (last listed) mount at this path. */
    public Optional<MountEntry> at(Path mountPoint) {
        Path wanted = mountPoint.normalize();
        MountEntry found = null;
        for (MountEntry entry : entries) {
            if (entry.mountPoint().equals(wanted)) {
                found = entry;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Mounts at {@code dir} or below it, deepest path first (the order to unmount them in). */
    public List<MountEntry> under(Path dir) {
        Path wanted = dir.normalize();
        List<MountEntry> found = new ArrayList<>();
        for (MountEntry entry : entries) {
            if (entry.isAtOrUnder(wanted)) {
                found.add(0, entry); // later (upper) mounts first among equal paths
            }
        }
        found.sort(Comparator.comparingInt((MountEntry e) -> e.mountPoint().getNameCount()).reversed());
        return found;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (MountEntry entry : entries) {
            text.append(entry.mountPoint()).append(' ').append(entry.fsType()).append(' ')
                    .append(entry.source()).append('\n');
        }
        return text.toString();
    }
}

package io.mounter.node;

import java.nio.file.Path;
import java.util.List;

/**
 * One line of /proc/PID/mountinfo (proc(5)), with the octal escapes (\040 etc.) decoded.
 * {@code mountPoint} is relative to the root of the process whose mountinfo was read.
 */
public record MountEntry(int id, int parentId, String device, String root, Path mountPoint,
                         String mountOptions, List<String> optionalFields, String fsType,
                         String source, String superOptions) {

    public MountEntry {
        optionalFields = List.copyOf(optionalFields);
    }

    /** True if the mount point is {@code dir} or lies below it. */
    public boolean isAtOrUnder(Path dir) {
        return mountPoint.startsWith(dir);
    }
}

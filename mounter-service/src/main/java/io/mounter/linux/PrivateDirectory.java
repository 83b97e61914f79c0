package io.mounter.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Whether a directory is mounterd's alone: owned by mounterd's own uid and writable by no
 * group or other user (sticky or not). Whoever else can write one can put files of their own
 * in it, or rename mounterd's away: the socket directory (an impostor socket) and the state
 * directory (commands mounterd runs as root) must pass.
 */
public final class PrivateDirectory {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int PERMISSION_BITS = 07777;

    private PrivateDirectory() {
    }

    /**
     * Null if {@code directory} (not followed if a symlink) is mounterd's alone; else what is
     * wrong, as "is writable by group or others (mode 0777)" or "belongs to uid 1000, not to
     * mounterd's uid 0".
     */
    public static String problem(Path directory) throws IOException {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return "is not a directory";
        }
        int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS) & PERMISSION_BITS;
        int uid = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int self = Syscalls.geteuid();
        if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
            return "is writable by group or others (mode " + String.format("%04o", mode) + ")";
        }
        if (uid != self) {
            return "belongs to uid " + uid + ", not to mounterd's uid " + self;
        }
        return null;
    }
}

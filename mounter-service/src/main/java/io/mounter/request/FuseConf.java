package io.mounter.request;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fusermount's {@code mount_max} from the mount container's /etc/fuse.conf: how many FUSE
 * mounts there may be at most when a user (not root) asks for one more, 1000 when unset.
 * Read at each user's request, as fusermount reads it at each run.
 */
public final class FuseConf {
    public static final int DEFAULT_MOUNT_MAX = 1000;
    private static final Pattern MOUNT_MAX = Pattern.compile("(?m)^\\s*mount_max\\s*=\\s*(\\d{1,9})\\s*$");

    private final Path file;

    public FuseConf(Path file) {
        this.file = file;
    }

    public static FuseConf system() {
        return new FuseConf(Path.of("/etc/fuse.conf"));
    }

    /** The last mount_max line's value; the default when the file or the line is missing. */
    public int mountMax() {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) { // no file (or none readable): fusermount's default too
            return DEFAULT_MOUNT_MAX;
        }
        Matcher m = MOUNT_MAX.matcher(text);
        int value = DEFAULT_MOUNT_MAX;
        while (m.find()) {
            value = Integer.parseInt(m.group(1));
        }
        return value;
    }
}

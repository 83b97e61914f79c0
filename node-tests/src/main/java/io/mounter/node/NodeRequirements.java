package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a simulated node needs from the machine: root with CAP_SYS_ADMIN, /dev/fuse, the
 * overlay and fuse filesystems, namespaces that can be created, and the tools and servers
 * it runs.
 */
public final class NodeRequirements {
    private static final int CAP_SYS_ADMIN = 21;
    private static final List<String> BINARIES = List.of(
            "sh", "bash", "perl", "unshare", "nsenter", "mount", "umount", "pivot_root", "ip", "rm", "cp",
            "glusterd", "gluster", "mount.glusterfs", "glusterfs",
            "sshd", "ssh", "ssh-keygen", "sshfs", "bindfs", "fusermount3", "rclone", "setpriv", "install");

    private NodeRequirements() {
    }

    /** Human-readable reasons the node cannot start here; empty if it can. */
    public static List<String> missing() {
        List<String> missing = new ArrayList<>();
        String status = read(Path.of("/proc/self/status"));
        if (!field(status, "Uid:").startsWith("0")) {
            missing.add("not running as root (Uid: " + field(status, "Uid:") + ")");
        }
        String capEff = field(status, "CapEff:");
        if (capEff.isEmpty() || (Long.parseUnsignedLong(capEff, 16) & (1L << CAP_SYS_ADMIN)) == 0) {
            missing.add("no CAP_SYS_ADMIN in the effective set (CapEff: " + capEff + ")");
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            missing.add("no /dev/fuse");
        }
        String filesystems = read(Path.of("/proc/filesystems"));
        for (String fs : List.of("overlay", "fuse", "tmpfs", "proc")) {
            if (!filesystems.matches("(?s).*\\s" + fs + "\\n.*")) {
                missing.add("the kernel lacks the " + fs + " filesystem");
            }
        }
        for (String binary : BINARIES) {
            if (findBinary(binary) == null) {
                missing.add("no `" + binary + "` on PATH or in /usr/sbin, /sbin");
            }
        }
        if (missing.isEmpty() && !canCreateNamespaces()) {
            missing.add("`unshare --mount --pid --net --fork true` fails: namespaces cannot be created here");
        }
        return missing;
    }

    private static boolean canCreateNamespaces() {
        return Command.of("unshare", "--mount", "--pid", "--net", "--fork", "--propagation", "private", "true")
                .exec().succeeded();
    }

    static Path findBinary(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).strip();
            }
        }
        return "";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}

package io.mounter.recovery;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the mount namespaces on the node that hold a mount of one filesystem (a FUSE
 * connection, by its device), reading each process's mountinfo from the host's procfs, one
 * process per namespace. Plain file reads: any thread may scan.
 */
public final class MountNamespaceScan {
    /**
     * A namespace holding mounts of the filesystem: where to join it, and each mount of the
     * filesystem there that does not follow another mount's changes by propagation.
     */
    public record Holder(Path namespace, long inode, List<MountInfo.Entry> mounts) {
        public Holder {
            mounts = List.copyOf(mounts);
        }
    }

    private MountNamespaceScan() {
    }

    /**
     * The namespaces under {@code proc} (the host's /proc as mounterd sees it) that hold a
     * mount of {@code device}, except those whose inode is in {@code skip} (the host's,
     * mended by a remount there, and mounterd's own). A mount that receives propagation
     * ({@code master:N}: a HostToContainer volume) is left out: it follows its master's
     * repair by itself, and a second one would stack. Processes that end during the scan
     * are passed over.
     */
    public static List<Holder> holdersOf(Path proc, DeviceNumber device, Set<Long> skip) throws IOException {
        List<Holder> holders = new ArrayList<>();
        Set<Long> seen = new HashSet<>(skip);
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, MountNamespaceScan::isPid)) {
            for (Path process : processes) {
                Path namespace = process.resolve("ns/mnt");
                long inode = namespaceInode(namespace);
                if (inode < 0 || !seen.add(inode)) {
                    continue;
                }
                List<MountInfo.Entry> mounts = mountsOf(process.resolve("mountinfo"), device);
                if (!mounts.isEmpty()) {
                    holders.add(new Holder(namespace, inode, mounts));
                }
            }
        }
        return holders;
    }

    private static boolean isPid(Path path) {
        String name = path.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    /**
     * The namespace's inode (stat follows {@code /proc/PID/ns/mnt} to the namespace, and a
     * bind-mounted namespace file is one); -1 once the process is gone.
     */
    public static long namespaceInode(Path namespace) {
        try {
            return ((Number) Files.getAttribute(namespace, "unix:ino")).longValue();
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /**
     * The procfs a {@code PROC/PID/ns/mnt} path lies in ({@code /host/proc} for
     * {@code /host/proc/1/ns/mnt}); empty for a namespace named any other way (a bind-mounted
     * namespace file), where no procfs of the host is known.
     */
    public static Optional<Path> procOf(Path namespace) {
        Path ns = namespace.getParent();
        Path process = ns == null ? null : ns.getParent();
        if (process == null || process.getParent() == null || !namespace.endsWith("ns/mnt")
                || !process.getFileName().toString().chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        return Optional.of(process.getParent());
    }

    private static List<MountInfo.Entry> mountsOf(Path mountinfo, DeviceNumber device) {
        String text;
        try {
            text = Files.readString(mountinfo);
        } catch (IOException gone) {
            return List.of();
        }
        return MountInfo.parse(text).stream()
                .filter(entry -> entry.device().equals(device))
                .filter(entry -> entry.optionalFields().stream().noneMatch(tag -> tag.startsWith("master:")))
                .toList();
    }
}

package io.mounter.node;

import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The fixture's own temporary directory: everything the simulated node writes or mounts
 * lives below it. Removal refuses to run while anything is mounted below it in the JVM's
 * (the machine's) mount namespace, so rm can never descend into a live mount, and
 * {@code rm --one-file-system} stays off any mount it might meet anyway.
 */
public final class ScratchDirectory implements AutoCloseable {
    private final Path path;
    private boolean removed;

    private ScratchDirectory(Path path) {
        this.path = path;
    }

    /** A fresh directory under java.io.tmpdir, by its real path (mountinfo shows real paths). */
    public static ScratchDirectory create(String prefix) {
        try {
            Path base = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
            return new ScratchDirectory(Files.createTempDirectory(base, prefix));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    public Path path() {
        return path;
    }

    /** Mounts at or below this directory in the JVM's mount namespace. */
    public List<MountInfo.Entry> mountsInRootNamespace() {
        return NamespaceMounts.ofSelf().under(path);
    }

    /**
     * Removes the tree. Throws IllegalStateException, leaving everything in place, if
     * something is mounted below it, and CommandFailedException if rm fails. Idempotent.
     */
    @Override
    public void close() {
        if (removed) {
            return;
        }
        List<MountInfo.Entry> mounts = mountsInRootNamespace();
        if (!mounts.isEmpty()) {
            throw new IllegalStateException("not removing " + path + ": still mounted below it in the root namespace: "
                    + mounts.stream().map(m -> m.mountPoint() + " (" + m.fstype() + ")").collect(Collectors.joining(", ")));
        }
        Command.of("rm", "-rf", "--one-file-system", "--", path.toString()).run();
        removed = true;
    }

    @Override
    public String toString() {
        return path.toString();
    }

    /** Files.createDirectories, unchecked: fixture set-up failures end the test anyway. */
    static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }
}

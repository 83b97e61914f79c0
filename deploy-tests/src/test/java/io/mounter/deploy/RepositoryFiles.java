package io.mounter.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository these tests read: the manifests, the image contract, kubelet-patch, and
 * the build's {@code dist/}. Surefire passes both locations (see the pom), so the tests
 * do not depend on the directory Maven was started from.
 */
final class RepositoryFiles {

    private final Path root;
    private final Path dist;

    private RepositoryFiles(Path root, Path dist) {
        this.root = root;
        this.dist = dist;
    }

    /** The repository of this build; fails when the properties are missing (not run by Maven). */
    static RepositoryFiles ofThisBuild() {
        String root = System.getProperty("mounter.repository");
        if (root == null) {
            throw new IllegalStateException("system property mounter.repository is not set: run the tests with Maven");
        }
        Path rootPath = Path.of(root).toAbsolutePath().normalize();
        String dist = System.getProperty("mounter.dist");
        return new RepositoryFiles(rootPath, dist == null ? rootPath.resolve("dist") : Path.of(dist).toAbsolutePath());
    }

    Path path(String relative) {
        return root.resolve(relative);
    }

    Path distPath(String relative) {
        return dist.resolve(relative);
    }

    boolean exists(String relative) {
        return Files.exists(path(relative));
    }

    /** The file's text; fails with the path when it cannot be read. */
    String read(String relative) {
        Path file = path(relative);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}

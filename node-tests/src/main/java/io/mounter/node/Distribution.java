package io.mounter.node;

import java.nio.file.Files;
import java.nio.file.Path;

/** The build's {@code dist/} directory (ARCHITECTURE.md: a contract for tests and the image). */
public record Distribution(Path root) {

    /**
     * {@code -Dmounter.dist} (surefire sets it), else {@code MOUNTER_DIST}, else the first
     * {@code dist/} found walking up from the working directory. Throws IllegalStateException
     * if none exists.
     */
    public static Distribution locate() {
        String configured = System.getProperty("mounter.dist", System.getenv("MOUNTER_DIST"));
        if (configured != null && !configured.isBlank()) {
            return new Distribution(Path.of(configured).toAbsolutePath().normalize());
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("dist"))) {
                return new Distribution(dir.resolve("dist"));
            }
        }
        throw new IllegalStateException("no dist/ directory: set -Dmounter.dist or MOUNTER_DIST");
    }

    /** {@code dist/lib/libmounter-preload.so}, the interposer the container's ld.so.preload names. */
    public Path preloadLibrary() {
        return root.resolve("lib/libmounter-preload.so");
    }

    /** {@code dist/bin/NAME}, e.g. mounterd or mounterctl. */
    public Path bin(String name) {
        return root.resolve("bin").resolve(name);
    }
}

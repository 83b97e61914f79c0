package io.mounter.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the mount container's image would bake into its root before anything runs in it.
 *
 * @param preloadLibrary the shim named in the container's {@code /etc/ld.so.preload}, or null for none
 * @param preloadConfig  the content of {@code /etc/mounter/preload.conf}, or null for none
 * @param files          further files of the image, in the order they are put in
 * @param followedDir    a directory of the host (below the node's) whose later mounts the
 *                       container sees, as a static pod's HostToContainer volume sees
 *                       kubelet's directory; null: nothing mounted on the host is seen
 */
public record ContainerConfig(Path preloadLibrary, String preloadConfig, List<ImageFile> files, Path followedDir) {

    /**
     * A file of the image: {@code source} (a host path) copied to {@code containerPath}, owned
     * by root, with {@code mode} (setuid and sticky bits included, e.g. {@code 04755}),
     * replacing whatever the host's root has there.
     */
    public record ImageFile(String containerPath, Path source, int mode) {
        public ImageFile {
            if (!containerPath.startsWith("/") || List.of(containerPath.split("/")).contains("..")) {
                throw new IllegalArgumentException("an absolute container path without `..` expected: " + containerPath);
            }
            if ((mode & ~07777) != 0) {
                throw new IllegalArgumentException("not a file mode: " + Integer.toOctalString(mode));
            }
        }
    }

    public ContainerConfig {
        files = List.copyOf(files);
    }

    public ContainerConfig(Path preloadLibrary, String preloadConfig, List<ImageFile> files) {
        this(preloadLibrary, preloadConfig, files, null);
    }

    /** The container sees mounts made on the host below {@code dir} later (HostToContainer). */
    public ContainerConfig withFollowedDir(Path dir) {
        return new ContainerConfig(preloadLibrary, preloadConfig, files, dir);
    }

    /** No shim, no shim configuration, no extra files: native mounts only. */
    public static ContainerConfig plain() {
        return new ContainerConfig(null, null, List.of());
    }

    public ContainerConfig withPreload(Path library) {
        return new ContainerConfig(library, preloadConfig, files, followedDir);
    }

    public ContainerConfig withPreloadConfig(String content) {
        return new ContainerConfig(preloadLibrary, content, files, followedDir);
    }

    /** Adds a file of the image (see {@link ImageFile}); a later one for the same path wins. */
    public ContainerConfig withFile(String containerPath, Path source, int mode) {
        List<ImageFile> all = new ArrayList<>(files);
        all.add(new ImageFile(containerPath, source, mode));
        return new ContainerConfig(preloadLibrary, preloadConfig, all, followedDir);
    }
}

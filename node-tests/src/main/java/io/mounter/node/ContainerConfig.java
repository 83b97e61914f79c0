package io.mounter.node;

import java.nio.file.Path;

/**
 * What the mount container's image would bake into /etc before anything runs in it.
 *
 * @param preloadLibrary the shim named in the container's {@code /etc/ld.so.preload}, or null for none
 * @param preloadConfig  the content of {@code /etc/mounter/preload.conf}, or null for none
 */
public record ContainerConfig(Path preloadLibrary, String preloadConfig) {

    /** No shim, no shim configuration: native mounts only. */
    public static ContainerConfig plain() {
        return new ContainerConfig(null, null);
    }

    public ContainerConfig withPreload(Path library) {
        return new ContainerConfig(library, preloadConfig);
    }

    public ContainerConfig withPreloadConfig(String content) {
        return new ContainerConfig(preloadLibrary, content);
    }
}

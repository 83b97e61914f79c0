package io.mounter.node;

import java.nio.file.Path;

/**
 * A started one-brick GlusterFS volume.
 *
 * @param name  the volume name
 * @param brick the brick directory on this machine: a file written through a client mount appears here
 */
public record GlusterVolume(String name, Path brick) {

    /** What {@code mount -t glusterfs} takes: {@code 127.0.0.2:/NAME}. */
    public String source() {
        return GlusterServer.ADDRESS + ":/" + name;
    }
}

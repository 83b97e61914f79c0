package io.mounter.executor;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Syscalls;

/**
 * A copy of a mount that hangs in no namespace yet (open_tree with OPEN_TREE_CLONE), held
 * by its descriptor until a {@link NamespaceCommand} attaches it somewhere; closing it
 * before that drops the copy. Made by {@link HostCommand.CloneMount} only.
 */
public final class DetachedMount implements AutoCloseable {
    private final int fd;
    private final DeviceNumber device;
    private boolean closed;

    DetachedMount(int fd, DeviceNumber device) {
        this.fd = fd;
        this.device = device;
    }

    int fd() {
        return fd;
    }

    /** The filesystem's device: for FUSE, 0:connection of the daemon that serves it. */
    public DeviceNumber device() {
        return device;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Syscalls.closeQuietly(fd);
        }
    }

    @Override
    public String toString() {
        return "DetachedMount[" + device + "]";
    }
}

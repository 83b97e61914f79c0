package io.mounter.table;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.MountInfo;
import io.mounter.linux.PollSet;
import io.mounter.linux.Syscalls;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The host's /proc/thread-self/mountinfo, opened by the mount executor in the host namespace:
 * the open file keeps that namespace (and its root, which paths are shown relative to) for
 * good, so any thread can then read it and wait on it. poll(2) reports POLLPRI (with
 * POLLERR) once after each change of the namespace's mounts; reading again from offset 0
 * makes the kernel generate the table afresh.
 */
final class MountInfoFile implements HostMounts, AutoCloseable {
    private final int fd;

    private MountInfoFile(int fd) {
        this.fd = fd;
    }

    /**
     * Opens the mountinfo of the executor's namespace.
     *
     * @throws io.mounter.linux.SyscallException if it cannot be opened
     */
    static MountInfoFile open(MountExecutor executor) {
        return new MountInfoFile(executor.execute(new HostCommand.OpenMountInfo()));
    }

    @Override
    public int pollFd() {
        return fd;
    }

    @Override
    public int changeEvents() {
        return PollSet.POLLPRI;
    }

    @Override
    public List<MountInfo.Entry> read() {
        return MountInfo.parse(new String(Syscalls.readFromStart(fd), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        Syscalls.closeQuietly(fd);
    }
}

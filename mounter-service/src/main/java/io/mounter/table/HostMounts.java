package io.mounter.table;

import io.mounter.linux.MountInfo;
import java.util.List;

/** The host namespace's mount table, to read and to wait on for changes. */
interface HostMounts {
    /** A descriptor poll(2) reports {@link #changeEvents()} on when the table changed. */
    int pollFd();

    int changeEvents();

    /** Called after poll reported a change, before the table is read again. */
    default void acknowledge() {
    }

    /**
     * The mounts now.
     *
     * @throws io.mounter.linux.SyscallException if the table cannot be read
     */
    List<MountInfo.Entry> read();
}

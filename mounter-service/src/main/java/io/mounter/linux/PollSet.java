package io.mounter.linux;

import static io.mounter.linux.Syscalls.C;
import static io.mounter.linux.Syscalls.RUNTIME;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * The descriptors one poll(2) call waits on, in a native array of struct pollfd (int fd,
 * short events, short revents: 8 bytes) that grows as needed. Not thread-safe: one thread
 * fills it, polls and reads the results.
 */
public final class PollSet {
    public static final int POLLIN = Syscalls.ABI.get("POLLIN");
    /** mountinfo: the namespace's mount table changed (reported with POLLERR). */
    public static final int POLLPRI = Syscalls.ABI.get("POLLPRI");
    public static final int POLLERR = Syscalls.ABI.get("POLLERR");
    public static final int POLLHUP = Syscalls.ABI.get("POLLHUP");
    public static final int POLLNVAL = Syscalls.ABI.get("POLLNVAL");

    private static final int POLLFD_SIZE = Syscalls.ABI.get("size.pollfd");
    private static final int FD = Syscalls.ABI.get("pollfd.fd");
    private static final int EVENTS = Syscalls.ABI.get("pollfd.events");
    private static final int REVENTS = Syscalls.ABI.get("pollfd.revents");

    private Pointer array = Memory.allocateDirect(RUNTIME, 16 * POLLFD_SIZE, true);
    private int count;

    /** Empties the set; the native array is kept. */
    public void clear() {
        count = 0;
    }

    /** Adds {@code fd}, waiting for {@code events}; returns its index for {@link #revents(int)}. */
    public int add(int fd, int events) {
        if ((count + 1) * POLLFD_SIZE > array.size()) {
            Pointer bigger = Memory.allocateDirect(RUNTIME, array.size() * 2, true);
            bigger.transferFrom(0, array, 0, count * POLLFD_SIZE);
            array = bigger;
        }
        long at = (long) count * POLLFD_SIZE;
        array.putInt(at + FD, fd);
        array.putShort(at + EVENTS, (short) events);
        array.putShort(at + REVENTS, (short) 0);
        return count++;
    }

    public int size() {
        return count;
    }

    /**
     * Waits until a descriptor is ready or {@code timeoutMillis} pass (-1: no limit).
     * Returns how many are ready, 0 on timeout or when a signal interrupted the wait (the
     * caller loops anyway).
     *
     * @throws SyscallException for any other failure (EINVAL, ENOMEM)
     */
    public int poll(int timeoutMillis) {
        for (int i = 0; i < count; i++) {
            array.putShort((long) i * POLLFD_SIZE + REVENTS, (short) 0);
        }
        int ready = C.poll(array, count, timeoutMillis);
        if (ready < 0) {
            int errno = Syscalls.errno();
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw Syscalls.failure("poll", count + " fds, " + timeoutMillis + " ms", errno);
        }
        return ready;
    }

    /** The events reported for the descriptor at {@code index} by the last {@link #poll(int)}. */
    public int revents(int index) {
        return array.getShort((long) index * POLLFD_SIZE + REVENTS) & 0xffff;
    }
}

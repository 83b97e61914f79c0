package io.mounter.linux;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The one place errno becomes an exception: every wrapper returns a value or throws
 * {@link SyscallException} naming the call and its arguments. EINTR is retried here and
 * nowhere else. Constants are the x86-64 Linux values.
 */
public final class Syscalls {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_NOFOLLOW = 0x20000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;

    public static final int RESOLVE_NO_MAGICLINKS = 0x02;
    public static final int RESOLVE_NO_SYMLINKS = 0x04;
    public static final int RESOLVE_BENEATH = 0x08;

    public static final int CLONE_FS = 0x200;
    public static final int CLONE_NEWNS = 0x20000;

    public static final int UMOUNT_NOFOLLOW = 0x8;
    public static final int MNT_DETACH = 0x2;

    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    private static final long SYS_OPENAT2 = 437;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final int SEEK_SET = 0;
    private static final int READ_CHUNK = 65536;
    private static final int OPEN_HOW_SIZE = 24;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AT_STATX_DONT_SYNC = 0x4000;

    static final Native.LibC C = Native.C;
    static final Runtime RUNTIME = Runtime.getRuntime(C);

    private Syscalls() {
    }

    /**
     * Per-thread native scratch memory for the small structs syscalls take (open_how, stat,
     * ucred, timeval): allocating and freeing native memory per call cost more than the
     * calls themselves. Contents are garbage until written.
     */
    private static final ThreadLocal<Pointer> SCRATCH =
            ThreadLocal.withInitial(() -> Memory.allocateDirect(RUNTIME, 512, false));

    static Pointer scratch() {
        return SCRATCH.get();
    }

    static int errno() {
        return RUNTIME.getLastError();
    }

    static SyscallException failure(String op, String args, int errno) {
        return new SyscallException(op, args, errno, Errno.describe(errno));
    }

    /** Throws for a negative result, after EINTR was handled by the caller's loop. */
    static long check(long result, String op, String args) {
        if (result < 0) {
            throw failure(op, args, errno());
        }
        return result;
    }

    @FunctionalInterface
    interface Call {
        long invoke();
    }

    /** Runs a call, retrying it while it fails with EINTR. */
    static long retrying(Call call, String op, String args) {
        while (true) {
            long result = call.invoke();
            if (result >= 0) {
                return result;
            }
            int errno = errno();
            if (errno != Errno.EINTR) {
                throw failure(op, args, errno);
            }
        }
    }

    public static void mount(String source, String target, String fstype, long flags, String data) {
        retrying(() -> C.mount(source, target, fstype, flags, data), "mount",
                source + ", " + target + ", " + fstype + ", " + MountFlags.describe(flags));
    }

    public static void umount2(String target, int flags) {
        retrying(() -> C.umount2(target, flags), "umount2", target + ", " + flags);
    }

    public static int open(String path, int flags) {
        return (int) retrying(() -> C.open(path, flags, 0), "open", path);
    }

    /** openat2(2): resolves {@code path} under {@code dirfd} with RESOLVE_* restrictions. */
    public static int openat2(int dirfd, String path, int flags, int resolve) {
        Pointer how = scratch();
        how.putLong(0, flags);
        how.putLong(8, 0);
        how.putLong(16, resolve);
        return (int) retrying(() -> C.syscall(SYS_OPENAT2, dirfd, path, how, OPEN_HOW_SIZE),
                "openat2", dirfd + ", " + path);
    }

    public static FileStat fstat(int fd) {
        Pointer buf = scratch();
        check(C.fstat(fd, buf), "fstat", Integer.toString(fd));
        return new FileStat(buf.getLong(0), buf.getLong(8), buf.getInt(24), buf.getLong(40));
    }

    /**
     * The device (major:minor) of the filesystem {@code fd} is on, from statx with
     * AT_STATX_DONT_SYNC: for FUSE that reads the cached inode and sends the daemon no
     * request, which matters while the daemon is still blocked in the mount call that
     * asked for this. For FUSE the minor is the connection id (fuse_connection in the
     * fdinfo of the daemon's /dev/fuse descriptor).
     */
    public static DeviceNumber deviceOf(int fd) {
        Pointer buf = scratch();
        check(C.statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, buf), "statx", Integer.toString(fd));
        return new DeviceNumber(buf.getInt(136), buf.getInt(140));
    }

    /** kill(2); a negative pid names a process group. */
    public static void kill(int pid, int signal) {
        check(C.kill(pid, signal), "kill", pid + ", " + signal);
    }

    /** The effective uid of the process. */
    public static int geteuid() {
        return C.geteuid();
    }

    /**
     * pidfd_open(2): a descriptor that becomes readable (POLLIN) when the process exits, and
     * that names that very process even if its pid is reused later.
     *
     * @throws SyscallException ESRCH if no such process exists (any more)
     */
    public static int pidfdOpen(int pid) {
        return (int) check(C.syscall(SYS_PIDFD_OPEN, pid, 0), "pidfd_open", Integer.toString(pid));
    }

    /** eventfd(2) with a counter of 0; {@code flags}: EFD_CLOEXEC, EFD_NONBLOCK. */
    public static int eventfd(int flags) {
        return (int) check(C.eventfd(0, flags), "eventfd", Integer.toHexString(flags));
    }

    /** Adds 1 to an eventfd's counter, waking whoever polls it. */
    public static void signal(int eventFd) {
        byte[] one = {1, 0, 0, 0, 0, 0, 0, 0};
        retrying(() -> C.write(eventFd, one, 8), "write", "eventfd " + eventFd);
    }

    /** Resets a non-blocking eventfd's counter; false if it was 0 already. */
    public static boolean drain(int eventFd) {
        byte[] counter = new byte[8];
        if (C.read(eventFd, counter, 8) >= 0) {
            return true;
        }
        int errno = errno();
        if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
            return false;
        }
        throw failure("read", "eventfd " + eventFd, errno);
    }

    /**
     * Reads {@code fd} from offset 0 to its end. For a seq file such as
     * /proc/PID/mountinfo, seeking back to 0 makes the kernel generate the content afresh.
     */
    public static byte[] readFromStart(int fd) {
        check(C.lseek(fd, 0, SEEK_SET), "lseek", Integer.toString(fd));
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[READ_CHUNK];
        while (true) {
            int n = (int) retrying(() -> C.read(fd, chunk, chunk.length), "read", Integer.toString(fd));
            if (n == 0) {
                return all.toByteArray();
            }
            all.write(chunk, 0, n);
        }
    }

    public static void fchdir(int fd) {
        check(C.fchdir(fd), "fchdir", Integer.toString(fd));
    }

    public static void chdir(String path) {
        check(C.chdir(path), "chdir", path);
    }

    public static void chmod(String path, int mode) {
        check(C.chmod(path, mode), "chmod", path + ", " + Integer.toOctalString(mode));
    }

    public static void setns(int fd, int nstype) {
        check(C.setns(fd, nstype), "setns", fd + ", " + nstype);
    }

    public static void unshare(int flags) {
        check(C.unshare(flags), "unshare", Integer.toHexString(flags));
    }

    /** Closes a descriptor; a close that fails (EBADF) is a bug and is thrown. */
    public static void close(int fd) {
        // No EINTR retry: on Linux the descriptor is gone even when close reports EINTR.
        if (C.close(fd) < 0 && errno() != Errno.EINTR) {
            throw failure("close", Integer.toString(fd), errno());
        }
    }

    /** Closes quietly; for cleanup paths that already carry a failure. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            C.close(fd);
        }
    }
}

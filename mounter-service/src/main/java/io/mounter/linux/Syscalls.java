package io.mounter.linux;

import java.util.function.Supplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The one place errno becomes an exception: every wrapper returns a value or throws
 * {@link SyscallException} naming the call and its arguments. EINTR is retried here and
 * nowhere else. Flag values, struct layouts and syscall numbers come from {@link Abi}, the
 * table of the architecture mounterd runs on.
 */
public final class Syscalls {
    static final Abi ABI = Abi.current();

    public static final int O_RDONLY = ABI.get("O_RDONLY");
    public static final int O_WRONLY = ABI.get("O_WRONLY");
    public static final int O_RDWR = ABI.get("O_RDWR");
    public static final int O_CREAT = ABI.get("O_CREAT");
    public static final int O_EXCL = ABI.get("O_EXCL");
    public static final int O_DIRECTORY = ABI.get("O_DIRECTORY");
    public static final int O_NOFOLLOW = ABI.get("O_NOFOLLOW");
    public static final int O_CLOEXEC = ABI.get("O_CLOEXEC");
    public static final int O_PATH = ABI.get("O_PATH");
    public static final int AT_FDCWD = ABI.get("AT_FDCWD");

    public static final int RESOLVE_NO_XDEV = ABI.get("RESOLVE_NO_XDEV");
    public static final int RESOLVE_NO_MAGICLINKS = ABI.get("RESOLVE_NO_MAGICLINKS");
    public static final int RESOLVE_NO_SYMLINKS = ABI.get("RESOLVE_NO_SYMLINKS");
    public static final int RESOLVE_BENEATH = ABI.get("RESOLVE_BENEATH");

    public static final int CLONE_FS = ABI.get("CLONE_FS");
    public static final int CLONE_NEWNS = ABI.get("CLONE_NEWNS");

    public static final int EFD_CLOEXEC = ABI.get("EFD_CLOEXEC");
    public static final int EFD_NONBLOCK = ABI.get("EFD_NONBLOCK");

    private static final long SYS_OPENAT2 = ABI.get("SYS_openat2");
    private static final long SYS_PIDFD_OPEN = ABI.get("SYS_pidfd_open");
    private static final long SYS_OPEN_TREE = ABI.get("SYS_open_tree");
    private static final long SYS_MOVE_MOUNT = ABI.get("SYS_move_mount");
    public static final int OPEN_TREE_CLONE = ABI.get("OPEN_TREE_CLONE");
    public static final int OPEN_TREE_CLOEXEC = ABI.get("OPEN_TREE_CLOEXEC");
    public static final int MOVE_MOUNT_F_EMPTY_PATH = ABI.get("MOVE_MOUNT_F_EMPTY_PATH");
    public static final int MOVE_MOUNT_T_EMPTY_PATH = ABI.get("MOVE_MOUNT_T_EMPTY_PATH");
    /**
     * move_mount(2) puts the mount beneath the top mount at the target (Linux 6.5): after an
     * unmount of the top one, the path shows the new mount, with no moment in between when
     * it shows the directory below. The same on every architecture (uapi linux/mount.h);
     * Debian 12's headers predate it, so no C probe checks it.
     */
    public static final int MOVE_MOUNT_BENEATH = 0x200;
    private static final int STX_ATTRIBUTES = ABI.get("statx.stx_attributes");
    private static final long STATX_ATTR_MOUNT_ROOT = ABI.get("STATX_ATTR_MOUNT_ROOT");
    private static final int SEEK_SET = ABI.get("SEEK_SET");
    private static final int READ_CHUNK = 65536;
    private static final int OPEN_HOW_SIZE = ABI.get("size.open_how");
    private static final int OPEN_HOW_FLAGS = ABI.get("open_how.flags");
    private static final int OPEN_HOW_MODE = ABI.get("open_how.mode");
    private static final int OPEN_HOW_RESOLVE = ABI.get("open_how.resolve");
    public static final int AT_EMPTY_PATH = ABI.get("AT_EMPTY_PATH");
    private static final int AT_SYMLINK_NOFOLLOW = ABI.get("AT_SYMLINK_NOFOLLOW");
    private static final int STATFS_BSIZE = ABI.get("statfs.f_bsize");
    private static final int STATFS_BLOCKS = ABI.get("statfs.f_blocks");
    private static final int STATFS_BFREE = ABI.get("statfs.f_bfree");
    private static final int STATFS_BAVAIL = ABI.get("statfs.f_bavail");
    private static final int STATFS_FILES = ABI.get("statfs.f_files");
    private static final int STATFS_FFREE = ABI.get("statfs.f_ffree");
    private static final int AT_STATX_DONT_SYNC = ABI.get("AT_STATX_DONT_SYNC");
    private static final int STATX_BASIC = ABI.get("STATX_TYPE") | ABI.get("STATX_MODE") | ABI.get("STATX_INO");
    private static final int STX_MODE = ABI.get("statx.stx_mode");
    private static final int STX_INO = ABI.get("statx.stx_ino");
    private static final int STX_RDEV_MAJOR = ABI.get("statx.stx_rdev_major");
    private static final int STX_RDEV_MINOR = ABI.get("statx.stx_rdev_minor");
    private static final int STX_DEV_MAJOR = ABI.get("statx.stx_dev_major");
    private static final int STX_DEV_MINOR = ABI.get("statx.stx_dev_minor");
    private static final int PR_SET_NO_NEW_PRIVS = ABI.get("PR_SET_NO_NEW_PRIVS");
    private static final int PR_SET_SECCOMP = ABI.get("PR_SET_SECCOMP");
    private static final int SECCOMP_MODE_FILTER = ABI.get("SECCOMP_MODE_FILTER");

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
        return check(result, op, () -> args);
    }

    /** As above, the arguments' text made only for a failure (hot calls: no string built per call). */
    static long check(long result, String op, Supplier<String> args) {
        if (result < 0) {
            int errno = errno(); // before the text is made: nothing may touch it first
            throw failure(op, args.get(), errno);
        }
        return result;
    }

    @FunctionalInterface
    interface Call {
        long invoke();
    }

    /** Runs a call, retrying it while it fails with EINTR. */
    static long retrying(Call call, String op, String args) {
        return retrying(call, op, () -> args);
    }

    /** As above, the arguments' text made only for a failure. */
    static long retrying(Call call, String op, Supplier<String> args) {
        long result = withoutEintr(call);
        if (result < 0) {
            throw failure(op, args.get(), (int) -result);
        }
        return result;
    }

    /**
     * Runs a call, retrying it while it fails with EINTR; any other failure comes back as its
     * errno negated, for a caller that takes one as an answer (EAGAIN of a non-blocking read)
     * without making an exception, and throws {@link #failure} for the rest.
     */
    static long withoutEintr(Call call) {
        while (true) {
            long result = call.invoke();
            if (result >= 0) {
                return result;
            }
            int errno = errno();
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    public static void mount(String source, String target, String fstype, long flags, String data) {
        retrying(() -> C.mount(source, target, fstype, flags, data), "mount",
                () -> source + ", " + target + ", " + fstype + ", " + MountFlags.describe(flags));
    }

    public static void umount2(String target, int flags) {
        retrying(() -> C.umount2(target, flags), "umount2", () -> target + ", " + MountFlags.describeUmount(flags));
    }

    public static int open(String path, int flags) {
        return (int) retrying(() -> C.open(path, flags, 0), "open", path);
    }

    /** openat2(2): resolves {@code path} under {@code dirfd} with RESOLVE_* restrictions. */
    public static int openat2(int dirfd, String path, int flags, int resolve) {
        Pointer how = scratch();
        how.putLong(OPEN_HOW_FLAGS, flags);
        how.putLong(OPEN_HOW_MODE, 0);
        how.putLong(OPEN_HOW_RESOLVE, resolve);
        return (int) retrying(() -> C.syscall(SYS_OPENAT2, dirfd, path, how, OPEN_HOW_SIZE),
                "openat2", () -> dirfd + ", " + path);
    }

    /**
     * The type, mode, inode and devices of the file {@code fd} names, from statx(2), whose
     * layout is the same on every architecture (struct stat's is not).
     */
    public static FileStat fstat(int fd) {
        Pointer buf = scratch();
        check(C.statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC, buf), "statx", () -> Integer.toString(fd));
        return new FileStat(buf.getShort(STX_MODE) & 0xffff, buf.getLong(STX_INO),
                new DeviceNumber(buf.getInt(STX_DEV_MAJOR), buf.getInt(STX_DEV_MINOR)),
                new DeviceNumber(buf.getInt(STX_RDEV_MAJOR), buf.getInt(STX_RDEV_MINOR)));
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
        check(C.statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, buf), "statx", () -> Integer.toString(fd));
        return new DeviceNumber(buf.getInt(STX_DEV_MAJOR), buf.getInt(STX_DEV_MINOR));
    }

    /** The device of the mount whose root {@code fd} is, from one statx; null if it is no mount's root. */
    public static DeviceNumber mountRootDevice(int fd) {
        return mountRootDevice(fd, "", AT_EMPTY_PATH);
    }

    /**
     * The device of the mount whose root {@code name} in the directory {@code dirFd} is; null
     * if it is no mount's root, or a symlink (never followed). One statx, where opening the
     * name first would take three syscalls: {@code name} is one component, so nothing but the
     * held directory is walked.
     */
    public static DeviceNumber mountRootDeviceAt(int dirFd, String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("not one path component: " + name);
        }
        return mountRootDevice(dirFd, name, AT_SYMLINK_NOFOLLOW);
    }

    private static DeviceNumber mountRootDevice(int dirFd, String name, int flags) {
        Pointer buf = scratch();
        check(C.statx(dirFd, name, flags | AT_STATX_DONT_SYNC, 0, buf), "statx", () -> Integer.toString(dirFd));
        return (buf.getLong(STX_ATTRIBUTES) & STATX_ATTR_MOUNT_ROOT) == 0 ? null
                : new DeviceNumber(buf.getInt(STX_DEV_MAJOR), buf.getInt(STX_DEV_MINOR));
    }

    /**
     * Whether {@code fd} names the root of a mount (statx's STATX_ATTR_MOUNT_ROOT), not a
     * directory inside one. No request reaches a FUSE daemon (AT_STATX_DONT_SYNC).
     */
    public static boolean isMountRoot(int fd) {
        return mountRootDevice(fd) != null;
    }

    /** unlinkat(2)'s flag: remove a directory (rmdir), not a file. */
    public static final int AT_REMOVEDIR = 0x200;

    /**
     * Sizes and counts of the filesystem {@code fd} is on (fstatfs(2)). On FUSE this asks the
     * daemon: call it only on a mount whose daemon serves.
     */
    public static FsStats fstatfs(int fd) {
        Pointer buf = scratch();
        retrying(() -> C.fstatfs(fd, buf), "fstatfs", () -> Integer.toString(fd));
        return new FsStats(buf.getLong(STATFS_BSIZE), buf.getLong(STATFS_BLOCKS), buf.getLong(STATFS_BFREE),
                buf.getLong(STATFS_BAVAIL), buf.getLong(STATFS_FILES), buf.getLong(STATFS_FFREE));
    }

    /** mkdirat(2). */
    public static void mkdirat(int dirfd, String name, int mode) {
        retrying(() -> C.mkdirat(dirfd, name, mode), "mkdirat", dirfd + ", " + name);
    }

    /** unlinkat(2). */
    public static void unlinkat(int dirfd, String name, int flags) {
        retrying(() -> C.unlinkat(dirfd, name, flags), "unlinkat", dirfd + ", " + name);
    }

    /** open_tree(2): with OPEN_TREE_CLONE, a detached copy of the mount at dirfd/path. */
    public static int openTree(int dirfd, String path, int flags) {
        return (int) retrying(() -> C.syscall(SYS_OPEN_TREE, dirfd, path, flags), "open_tree",
                dirfd + ", " + path + ", 0x" + Integer.toHexString(flags));
    }

    /** move_mount(2): attaches the mount at fromDirfd/fromPath at toDirfd/toPath. */
    public static void moveMount(int fromDirfd, String fromPath, int toDirfd, String toPath, int flags) {
        retrying(() -> C.syscall(SYS_MOVE_MOUNT, fromDirfd, fromPath, toDirfd, toPath, flags), "move_mount",
                fromDirfd + ", " + fromPath + ", " + toDirfd + ", " + toPath + ", 0x" + Integer.toHexString(flags));
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
        check(C.lseek(fd, 0, SEEK_SET), "lseek", () -> Integer.toString(fd));
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[READ_CHUNK];
        while (true) {
            int n = (int) retrying(() -> C.read(fd, chunk, chunk.length), "read", () -> Integer.toString(fd));
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

    /**
     * Installs a seccomp filter on the calling thread only (no TSYNC), after setting its
     * no_new_privs bit (also per thread). Both last for the thread's life.
     *
     * @param program the BPF program, {@link Abi} size.sock_filter bytes per instruction
     */
    public static void seccompThread(byte[] program) {
        check(C.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
        int instructions = program.length / ABI.get("size.sock_filter");
        Pointer filter = Memory.allocateDirect(RUNTIME, program.length, true);
        filter.put(0, program, 0, program.length);
        Pointer fprog = Memory.allocateDirect(RUNTIME, ABI.get("size.sock_fprog"), true);
        fprog.putShort(ABI.get("sock_fprog.len"), (short) instructions);
        fprog.putAddress(ABI.get("sock_fprog.filter"), filter.address());
        try {
            check(C.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog.address(), 0, 0), "prctl",
                    "PR_SET_SECCOMP, " + instructions + " instructions");
        } finally {
            // passed by address only: keep both buffers alive until the kernel has copied them
            java.lang.ref.Reference.reachabilityFence(filter);
            java.lang.ref.Reference.reachabilityFence(fprog);
        }
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

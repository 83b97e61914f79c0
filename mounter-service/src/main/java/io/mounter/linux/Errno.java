package io.mounter.linux;

/** The Linux errno values mounter names in replies and checks (x86-64, asm-generic). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSPC = 28;
    public static final int ELOOP = 40;
    public static final int ENOSYS = 38;
    public static final int EPROTO = 71;
    public static final int EBADMSG = 74;
    public static final int EXDEV = 18;
    public static final int EMSGSIZE = 90;
    public static final int EPROTONOSUPPORT = 93;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ESTALE = 116;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTDOWN = 112;

    private Errno() {
    }

    /**
     * The symbolic name of an errno ("EPERM"), for logs and metric labels; "errno_N" for
     * one this table lacks. A small table of what mount paths return, not all of errno.h.
     */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case 3 -> "ESRCH";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 8 -> "ENOEXEC";
            case EBADF -> "EBADF";
            case 10 -> "ECHILD";
            case EAGAIN -> "EAGAIN";
            case 12 -> "ENOMEM";
            case EACCES -> "EACCES";
            case 14 -> "EFAULT";
            case 15 -> "ENOTBLK";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case EXDEV -> "EXDEV";
            case 19 -> "ENODEV";
            case ENOTDIR -> "ENOTDIR";
            case 21 -> "EISDIR";
            case EINVAL -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case ENOSPC -> "ENOSPC";
            case 30 -> "EROFS";
            case 32 -> "EPIPE";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOSYS -> "ENOSYS";
            case 39 -> "ENOTEMPTY";
            case ELOOP -> "ELOOP";
            case 61 -> "ENODATA";
            case EPROTO -> "EPROTO";
            case EBADMSG -> "EBADMSG";
            case EMSGSIZE -> "EMSGSIZE";
            case EPROTONOSUPPORT -> "EPROTONOSUPPORT";
            case 95 -> "EOPNOTSUPP";
            case ENOTCONN -> "ENOTCONN";
            case ETIMEDOUT -> "ETIMEDOUT";
            case ECONNREFUSED -> "ECONNREFUSED";
            case EHOSTDOWN -> "EHOSTDOWN";
            case 116 -> "ESTALE";
            case 122 -> "EDQUOT";
            case 125 -> "ECANCELED";
            default -> "errno_" + errno;
        };
    }

    /** libc's text for an errno, e.g. "No such file or directory". */
    public static String describe(int errno) {
        return Native.C.strerror(errno);
    }
}

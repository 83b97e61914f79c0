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
    public static final int ETIMEDOUT = 110;
    public static final int EHOSTDOWN = 112;

    private Errno() {
    }

    /** libc's text for an errno, e.g. "No such file or directory". */
    public static String describe(int errno) {
        return Native.C.strerror(errno);
    }
}

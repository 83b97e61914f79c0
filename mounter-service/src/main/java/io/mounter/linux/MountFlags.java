package io.mounter.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * mount(2) and umount2(2) flag values and their names, for checks and for readable errors.
 * The values are the kernel's generic ones, the same on every architecture.
 */
public final class MountFlags {
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16;
    public static final long MS_REMOUNT = 32;
    public static final long MS_MANDLOCK = 64;
    public static final long MS_DIRSYNC = 128;
    public static final long MS_NOSYMFOLLOW = 256;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    public static final long MS_SILENT = 32768;
    public static final long MS_POSIXACL = 1 << 16;
    public static final long MS_UNBINDABLE = 1 << 17;
    public static final long MS_PRIVATE = 1 << 18;
    public static final long MS_SLAVE = 1 << 19;
    public static final long MS_SHARED = 1 << 20;
    public static final long MS_RELATIME = 1 << 21;
    public static final long MS_KERNMOUNT = 1 << 22;
    public static final long MS_I_VERSION = 1 << 23;
    public static final long MS_STRICTATIME = 1 << 24;
    public static final long MS_LAZYTIME = 1 << 25;
    /** Old callers put this magic in the top 16 bits; the kernel strips it. */
    public static final long MS_MGC_VAL = 0xC0ED0000L;
    public static final long MS_MGC_MSK = 0xFFFF0000L;

    /** umount2(2) flags. */
    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int MNT_EXPIRE = 4;
    public static final int UMOUNT_NOFOLLOW = 8;
    /** Every umount2 flag there is; the kernel refuses others with EINVAL. */
    public static final int UMOUNT_ALL = MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW;
    private static final String[] UMOUNT_NAMES = {"MNT_FORCE", "MNT_DETACH", "MNT_EXPIRE", "UMOUNT_NOFOLLOW"};

    private static final String[] NAMES = {
        "MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_SYNCHRONOUS", "MS_REMOUNT",
        "MS_MANDLOCK", "MS_DIRSYNC", "MS_NOSYMFOLLOW", "bit9", "MS_NOATIME", "MS_NODIRATIME",
        "MS_BIND", "MS_MOVE", "MS_REC", "MS_SILENT", "MS_POSIXACL", "MS_UNBINDABLE",
        "MS_PRIVATE", "MS_SLAVE", "MS_SHARED", "MS_RELATIME", "MS_KERNMOUNT", "MS_I_VERSION",
        "MS_STRICTATIME", "MS_LAZYTIME",
    };

    private MountFlags() {
    }

    /** Drops the MS_MGC_VAL magic the way the kernel does. */
    public static long withoutMagic(long flags) {
        return (flags & MS_MGC_MSK) == MS_MGC_VAL ? flags & ~MS_MGC_MSK : flags;
    }

    /** Flags as names joined by '|', e.g. "MS_NOSUID|MS_NODEV"; "0" for none. */
    public static String describe(long flags) {
        return describe(flags, NAMES);
    }

    /** umount2 flags as names, e.g. "MNT_DETACH|UMOUNT_NOFOLLOW"; "0" for none. */
    public static String describeUmount(int flags) {
        return describe(Integer.toUnsignedLong(flags), UMOUNT_NAMES);
    }

    private static String describe(long flags, String[] names) {
        if (flags == 0) {
            return "0";
        }
        List<String> parts = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((flags & (1L << bit)) != 0) {
                parts.add(bit < names.length ? names[bit] : "0x" + Long.toHexString(1L << bit));
            }
        }
        return String.join("|", parts);
    }
}

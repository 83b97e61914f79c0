package io.mounter.linux;

/**
 * What makes a mount FUSE, decided here only: its fstype, the /dev/fuse device, and how
 * the kernel names and numbers FUSE mounts.
 */
public final class Fuse {
    /** /dev/fuse is the character device 10:229 (devices.txt); checked on descriptors, not paths. */
    public static final DeviceNumber DEVICE = new DeviceNumber(10, 229);

    private Fuse() {
    }

    /** fuse, fuseblk, and either with a subtype: fuse.sshfs, fuseblk.ntfs. */
    public static boolean isFuseType(String fstype) {
        return fstype.equals("fuse") || fstype.equals("fuseblk")
                || fstype.startsWith("fuse.") || fstype.startsWith("fuseblk.");
    }

    /** The type without its subtype: fuse for fuse.sshfs; other types as they are. */
    public static String baseType(String fstype) {
        int dot = fstype.indexOf('.');
        return isFuseType(fstype) && dot > 0 ? fstype.substring(0, dot) : fstype;
    }

    /**
     * Whether the kernel shows a mount made as {@code requested} as {@code shown}: a FUSE
     * mount made as plain "fuse" (or "fuseblk") with a {@code subtype=} option reads
     * "fuse.SUBTYPE" in mountinfo.
     */
    public static boolean isShownAs(String requested, String shown) {
        return requested.equals(shown)
                || (requested.equals("fuse") || requested.equals("fuseblk")) && shown.startsWith(requested + ".");
    }

    /** Whether {@code stat} is /dev/fuse itself. */
    public static boolean isDevice(FileStat stat) {
        return stat.isCharacterDevice() && stat.rdev().equals(DEVICE);
    }

    /**
     * The FUSE connection id of a mount of {@code fstype} on {@code device}, or -1 when it is
     * no FUSE mount or the device is unknown. FUSE mounts get an anonymous device 0:N whose
     * minor is the connection id, the {@code fuse_connection} in the fdinfo of the daemon's
     * /dev/fuse descriptor (Linux 5.x and later print it).
     */
    public static int connection(String fstype, DeviceNumber device) {
        return device != null && device.major() == 0 && isFuseType(fstype) ? device.minor() : -1;
    }
}

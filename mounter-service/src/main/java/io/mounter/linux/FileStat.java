package io.mounter.linux;

/**
 * What statx(2) says of a file that mounter looks at: its type and mode, inode, the device
 * of the filesystem it is on and, for a device file, the device it names.
 */
public record FileStat(int mode, long inode, DeviceNumber device, DeviceNumber rdev) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;

    public boolean isCharacterDevice() {
        return (mode & S_IFMT) == S_IFCHR;
    }

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }
}

package io.mounter.linux;

/**
 * A filesystem's sizes from statfs(2): blocks of {@code blockSize} bytes (all, free, free to
 * unprivileged users) and inodes (all, free).
 */
public record FsStats(long blockSize, long blocks, long freeBlocks, long availableBlocks, long inodes,
                      long freeInodes) {
    public long totalBytes() {
        return blocks * blockSize;
    }

    public long availableBytes() {
        return availableBlocks * blockSize;
    }

    public long usedBytes() {
        return (blocks - freeBlocks) * blockSize;
    }

    public long usedInodes() {
        return inodes - freeInodes;
    }
}

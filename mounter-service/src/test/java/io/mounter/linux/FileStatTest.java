package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStatTest {
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;

    @Test
    void devFuseNumbersDecode() {
        FileStat fuse = new FileStat(5, 6, S_IFCHR | 0666, 0xAE5); // makedev(10, 229)
        assertEquals(10, fuse.rdevMajor());
        assertEquals(229, fuse.rdevMinor());
        assertTrue(fuse.isCharacterDevice());
        assertFalse(fuse.isDirectory());
    }

    @Test
    void largeNumbersUseTheSplitGlibcEncoding() {
        FileStat stat = new FileStat(0, 0, S_IFCHR, 0x1200abcd345efL); // makedev(0x12345, 0xabcdef)
        assertEquals(0x12345, stat.rdevMajor());
        assertEquals(0xabcdef, stat.rdevMinor());
    }

    @Test
    void aDirectoryIsNotACharacterDevice() {
        FileStat dir = new FileStat(0, 0, S_IFDIR | 0755, 0);
        assertTrue(dir.isDirectory());
        assertFalse(dir.isCharacterDevice());
    }

    /** Checks the struct stat offsets Syscalls.fstat reads against what the JDK reports. */
    @Test
    void fstatAgreesWithTheJdk(@TempDir Path dir) throws IOException {
        assertSameFile(Path.of("/dev/null"), Syscalls.O_RDONLY);
        assertSameFile(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY);

        FileStat devNull = statOf(Path.of("/dev/null"), Syscalls.O_RDONLY);
        assertTrue(devNull.isCharacterDevice());
        assertEquals(1, devNull.rdevMajor());
        assertEquals(3, devNull.rdevMinor());
        assertTrue(statOf(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY).isDirectory());
    }

    private static void assertSameFile(Path path, int flags) throws IOException {
        FileStat stat = statOf(path, flags);
        assertEquals(((Number) Files.getAttribute(path, "unix:dev")).longValue(), stat.device(), "dev of " + path);
        assertEquals(((Number) Files.getAttribute(path, "unix:ino")).longValue(), stat.inode(), "ino of " + path);
        assertEquals(((Number) Files.getAttribute(path, "unix:mode")).intValue(), stat.mode(), "mode of " + path);
        assertEquals(((Number) Files.getAttribute(path, "unix:rdev")).longValue(), stat.rdev(), "rdev of " + path);
    }

    private static FileStat statOf(Path path, int flags) {
        int fd = Syscalls.open(path.toString(), flags | Syscalls.O_CLOEXEC);
        try {
            return Syscalls.fstat(fd);
        } finally {
            Syscalls.close(fd);
        }
    }
}

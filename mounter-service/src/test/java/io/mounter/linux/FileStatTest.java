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
    private static final DeviceNumber NONE = new DeviceNumber(0, 0);

    @Test
    void devFuseIsTheFuseDevice() {
        FileStat fuse = new FileStat(S_IFCHR | 0666, 6, NONE, new DeviceNumber(10, 229));
        assertTrue(fuse.isCharacterDevice());
        assertFalse(fuse.isDirectory());
        assertTrue(Fuse.isDevice(fuse));
        assertFalse(Fuse.isDevice(new FileStat(S_IFCHR | 0666, 6, NONE, new DeviceNumber(1, 3))), "/dev/null");
        assertFalse(Fuse.isDevice(new FileStat(S_IFDIR | 0755, 6, NONE, new DeviceNumber(10, 229))), "a directory");
    }

    /** Checks what Syscalls.fstat reads from statx against what the JDK reports. */
    @Test
    void fstatAgreesWithTheJdk(@TempDir Path dir) throws IOException {
        assertSameFile(Path.of("/dev/null"), Syscalls.O_RDONLY);
        assertSameFile(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY);

        FileStat devNull = statOf(Path.of("/dev/null"), Syscalls.O_RDONLY);
        assertTrue(devNull.isCharacterDevice());
        assertEquals(new DeviceNumber(1, 3), devNull.rdev());
        assertTrue(statOf(dir, Syscalls.O_RDONLY | Syscalls.O_DIRECTORY).isDirectory());
    }

    private static void assertSameFile(Path path, int flags) throws IOException {
        FileStat stat = statOf(path, flags);
        assertEquals(glibcDevice(((Number) Files.getAttribute(path, "unix:dev")).longValue()), stat.device(),
                "dev of " + path);
        assertEquals(((Number) Files.getAttribute(path, "unix:ino")).longValue(), stat.inode(), "ino of " + path);
        assertEquals(((Number) Files.getAttribute(path, "unix:mode")).intValue(), stat.mode(), "mode of " + path);
        assertEquals(glibcDevice(((Number) Files.getAttribute(path, "unix:rdev")).longValue()), stat.rdev(),
                "rdev of " + path);
    }

    /** glibc's gnu_dev_major/minor split of a dev_t, as the JDK reports it. */
    private static DeviceNumber glibcDevice(long dev) {
        return new DeviceNumber((int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL)),
                (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL)));
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

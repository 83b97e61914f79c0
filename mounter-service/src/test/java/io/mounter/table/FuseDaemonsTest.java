package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FuseDaemons against a fake procfs: fd symlinks and fdinfo files as the kernel shows them. */
class FuseDaemonsTest {
    @TempDir
    Path proc;

    private static String fdinfo(int connection) {
        return "pos:\t0\nflags:\t0100002\nmnt_id:\t58\nino:\t90\nfuse_connection:\t" + connection + "\n";
    }

    /** Adds /proc/PID/fd/FD as a symlink to {@code device}, with {@code info} as its fdinfo (none if null). */
    private void fd(String pid, int fd, String device, String info) throws IOException {
        Path fds = Files.createDirectories(proc.resolve(pid).resolve("fd"));
        Path infos = Files.createDirectories(proc.resolve(pid).resolve("fdinfo"));
        Files.createSymbolicLink(fds.resolve(Integer.toString(fd)), Path.of(device));
        if (info != null) {
            Files.writeString(infos.resolve(Integer.toString(fd)), info);
        }
    }

    @Test
    void theHolderOfADevFuseDescriptorServesTheConnectionItsFdinfoNames() throws IOException {
        fd("100", 4, "/dev/fuse", fdinfo(39));
        fd("100", 0, "/dev/null", "pos:\t0\nflags:\t0100000\nmnt_id:\t25\nino:\t5\n");
        fd("200", 1, "/dev/null", "pos:\t0\nflags:\t02\nmnt_id:\t25\nino:\t5\n");
        fd("200", 2, "pipe:[12345]", "pos:\t0\nflags:\t01\nmnt_id:\t15\nino:\t12345\n");
        Files.createDirectories(proc.resolve("sys/fs"));
        Files.createDirectories(proc.resolve("driver"));

        assertEquals(Map.of(39, 100), FuseDaemons.byConnection(proc));
    }

    @Test
    void onlyDevFuseDescriptorsCountWhateverTheirFdinfoSays() throws IOException {
        fd("300", 3, "/dev/null", fdinfo(40));
        fd("301", 3, "/dev/fuse-not", fdinfo(41));
        fd("302", 3, "/tmp/dev/fuse", fdinfo(42));
        assertEquals(Map.of(), FuseDaemons.byConnection(proc));
    }

    @Test
    void nonNumericEntriesAreNotProcesses() throws IOException {
        fd("self", 4, "/dev/fuse", fdinfo(39));
        fd("thread-self", 4, "/dev/fuse", fdinfo(40));
        fd("500", 4, "/dev/fuse", fdinfo(41));
        assertEquals(Map.of(41, 500), FuseDaemons.byConnection(proc));
    }

    @Test
    void aMissingOrConnectionlessFdinfoIsSkipped() throws IOException {
        fd("100", 4, "/dev/fuse", fdinfo(39));
        fd("110", 5, "/dev/fuse", null);
        fd("120", 6, "/dev/fuse", "pos:\t0\nflags:\t0100002\nmnt_id:\t58\nino:\t90\n");
        Files.createDirectories(proc.resolve("130")); // no fd directory: a process gone mid-scan
        Files.createDirectories(proc.resolve("140/fd"));
        Files.createDirectories(proc.resolve("140/fdinfo").resolve("7")); // fdinfo unreadable as a file
        Files.createSymbolicLink(proc.resolve("140/fd/7"), Path.of("/dev/fuse"));

        assertEquals(Map.of(39, 100), FuseDaemons.byConnection(proc));
    }

    @Test
    void aDescriptorWithoutFdinfoDoesNotHideTheOtherDescriptorsOfItsProcess() throws IOException {
        // libfuse's clone_fd opens /dev/fuse once per worker; one may close while LIST scans
        for (int fd = 3; fd < 12; fd++) {
            fd("700", fd, "/dev/fuse", null);
        }
        fd("700", 12, "/dev/fuse", fdinfo(44));
        for (int fd = 13; fd < 20; fd++) {
            fd("700", fd, "/dev/fuse", null);
        }
        assertEquals(Map.of(44, 700), FuseDaemons.byConnection(proc));
    }

    @Test
    void severalDaemonsEachGetTheirConnection() throws IOException {
        fd("100", 4, "/dev/fuse", fdinfo(39));
        fd("101", 3, "/dev/fuse", fdinfo(40));
        fd("101", 5, "/dev/fuse", fdinfo(41));
        fd("4194304", 9, "/dev/fuse", fdinfo(1_000_000));
        assertEquals(Map.of(39, 100, 40, 101, 41, 101, 1_000_000, 4194304), FuseDaemons.byConnection(proc));
    }

    @Test
    void anUnreadableProcRootGivesNoDaemons() {
        assertEquals(Map.of(), FuseDaemons.byConnection(proc.resolve("missing")));
    }

    @Test
    void theRealProcCanBeScanned() {
        Map<Integer, Integer> found = FuseDaemons.byConnection(Path.of("/proc"));
        found.values().forEach(pid -> assertEquals(true, Files.isDirectory(Path.of("/proc", pid.toString())),
                "pid " + pid + " was a process"));
    }

    /** Threat: a command is only ever run again as root, so only a process all of whose uids are 0 gives one. */
    @Test
    void onlyARootProcessGivesItsCommandLine() throws IOException {
        String root = "Name:\tbindfs\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        String user = "Name:\tbindfs\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"; // a setuid program's
        for (String[] process : new String[][] {{"10", root}, {"11", user}}) {
            Path dir = Files.createDirectories(proc.resolve(process[0]));
            Files.writeString(dir.resolve("status"), process[1]);
            Files.write(dir.resolve("cmdline"), "bindfs\0/src dir\0/target\0".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("bindfs", "/src dir", "/target"), FuseDaemons.rootCommandLine(proc, 10));
        assertEquals(List.of(), FuseDaemons.rootCommandLine(proc, 11));
        assertEquals(List.of(), FuseDaemons.rootCommandLine(proc, 12), "gone");
    }
}

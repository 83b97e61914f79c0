package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mounter.linux.PeerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names from a /proc laid out by the test: the peer's program, or a fusermount's parent's. */
class DaemonNamesTest {
    @TempDir
    Path proc;

    private void process(int pid, int ppid, int realUid, String program) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)));
        Files.writeString(dir.resolve("status"), "Name:\tx\nPPid:\t" + ppid + "\nUid:\t" + realUid + "\t0\t0\t0\n");
        Files.createSymbolicLink(dir.resolve("exe"), Path.of(program));
    }

    @Test
    void aDaemonIsNamedAfterItsProgram() throws IOException {
        process(10, 1, 0, "/usr/bin/bindfs");
        assertEquals(Optional.of("bindfs"), DaemonNames.of(new PeerProcess(proc)).nameOf(10));
    }

    @Test
    void aFusermountStandInIsNamedAfterItsParent() throws IOException {
        process(20, 1, 0, "/usr/bin/fuse-overlayfs");
        process(21, 20, 65534, "/usr/bin/fusermount3");
        PeerProcess processes = new PeerProcess(proc);
        assertEquals(Optional.of("fuse-overlayfs"), DaemonNames.of(processes).nameOf(21));
        assertEquals(OptionalInt.of(65534), processes.realUid(21));
    }

    @Test
    void aGoneProcessOrAnUnfitNameGivesNoName() throws IOException {
        process(30, 1, 0, "/tmp/odd name");
        process(31, 1, 0, "/usr/bin/replaced (deleted)");
        DaemonNames names = DaemonNames.of(new PeerProcess(proc));
        assertEquals(Optional.empty(), names.nameOf(30));
        assertEquals(Optional.empty(), names.nameOf(99));
        assertEquals(Optional.of("replaced"), names.nameOf(31));
    }
}

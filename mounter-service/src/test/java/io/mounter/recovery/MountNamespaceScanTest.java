package io.mounter.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The parts of the scan that need no other namespace (the scan itself: node-tests PodRepairTest). */
class MountNamespaceScanTest {
    @Test
    void theHostsProcfsIsKnownOnlyFromAProcPidNsMntPath() {
        assertEquals(Optional.of(Path.of("/host/proc")), MountNamespaceScan.procOf(Path.of("/host/proc/1/ns/mnt")));
        assertEquals(Optional.of(Path.of("/proc")), MountNamespaceScan.procOf(Path.of("/proc/4242/ns/mnt")));
        assertEquals(Optional.empty(), MountNamespaceScan.procOf(Path.of("/run/host-mnt")), "a bind-mounted namespace file");
        assertEquals(Optional.empty(), MountNamespaceScan.procOf(Path.of("/ns/mnt")));
        assertEquals(Optional.empty(), MountNamespaceScan.procOf(Path.of("/host/proc/self/ns/mnt")));
        assertEquals(Optional.empty(), MountNamespaceScan.procOf(Path.of("/host/proc/1/ns/net")));
        assertEquals(Optional.empty(), MountNamespaceScan.procOf(Path.of("mnt")));
    }

    @Test
    void aNamespacesInodeIsTheOneItsLinkNames() throws IOException {
        Path self = Path.of("/proc/self/ns/mnt");
        String link = Files.readSymbolicLink(self).toString(); // mnt:[4026531840]
        long named = Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
        assertEquals(named, MountNamespaceScan.namespaceInode(self));
        assertTrue(MountNamespaceScan.namespaceInode(Path.of("/proc/999999999/ns/mnt")) < 0, "a process that is gone");
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Whoever can write the socket's or the state's directory can replace the socket or plant commands: mounterd will not start there. */
class SocketDirectoryTest {

    @Test
    void aSocketDirectoryOthersCanWriteStopsTheStartWithAMessage() {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            node.stopMounterd();
            node.container().run("chmod", "0777", "/run/mounter");

            IllegalStateException refused = assertThrows(IllegalStateException.class, node::restartMounterd);
            assertTrue(refused.getMessage().contains("mounterd exited with 1"), refused.getMessage());
            assertTrue(refused.getMessage().contains("mounterd: refusing to start: the socket directory /run/mounter"
                    + " is writable by group or others (mode 0777)"), refused.getMessage());
            assertFalse(Files.exists(node.mounterd().socketFromOutside()), "no socket was made");

            node.container().run("chmod", "0755", "/run/mounter");
            node.restartMounterd();
            assertEquals("600", node.container().run("stat", "-c", "%a", Mounterd.SOCKET).stdout().strip());
        }
    }

    /** Whoever can write the state directory can put commands there that mounterd runs as root. */
    @Test
    void aStateDirectoryOthersCanWriteStopsTheStartWithAMessage() throws java.io.IOException {
        Privileged.assume();
        try (MounterNode node = MounterNode.start()) {
            java.nio.file.Path state = node.mounterd().stateDirFromOutside();
            node.stopMounterd();
            Files.setPosixFilePermissions(state, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));

            IllegalStateException refused = assertThrows(IllegalStateException.class, node::restartMounterd);
            assertTrue(refused.getMessage().contains("mounterd exited with 1"), refused.getMessage());
            assertTrue(refused.getMessage().contains("is writable by group or others (mode 0777): whoever can write"
                    + " it can put commands there that mounterd would run as root"), refused.getMessage());

            Files.setPosixFilePermissions(state, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            node.restartMounterd();
        }
    }
}

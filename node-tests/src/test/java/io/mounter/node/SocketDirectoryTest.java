package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Whoever can write the socket's directory can replace the socket: mounterd will not start there. */
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
}

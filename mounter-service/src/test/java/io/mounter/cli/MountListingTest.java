package io.mounter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.protocol.MountEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountListingTest {

    /** Threat: a source with a newline would forge a row of the table. */
    @Test
    void controlCharactersAndBackslashesCannotForgeARow() {
        MountEntry forged = new MountEntry("src\n/var/lib/kubelet/pods/x  fuse  evil\u001b[2J\\", "/var/lib/kubelet/pods/a",
                "fuse.sshfs", 1, 0, 0);

        String table = MountListing.table(List.of(forged));

        assertEquals(2, table.lines().count(), "a header and one row: " + table);
        assertTrue(table.contains("src\\x0a/var/lib/kubelet/pods/x  fuse  evil\\x1b[2J\\\\"), table);
    }

    @Test
    void theStateAndWhyShowInTheLastColumn() {
        String table = MountListing.table(List.of(new MountEntry("s", "/t", "fuse.sshfs", 1, 0, 0)
                .withState(io.mounter.protocol.MountState.RECOVERING, "its command exited with 1; next try in 2 s")));

        assertTrue(table.lines().skip(1).findFirst().orElseThrow()
                .endsWith("recovering: its command exited with 1; next try in 2 s"), table);
    }
}

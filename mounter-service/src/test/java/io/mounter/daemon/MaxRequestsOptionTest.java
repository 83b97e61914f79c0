package io.mounter.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MaxRequestsOptionTest {
    @TempDir
    Path dir;

    @Test
    void aBoundBelowOneIsAUsageErrorBeforeAnythingIsMade() {
        for (String[] flag : new String[][] {{"--max-requests", "0"}, {"--max-connections", "0"}}) {
            StringWriter err = new StringWriter();
            CommandLine command = new CommandLine(new MounterDaemon());
            command.setErr(new PrintWriter(err, true));
            Path socket = dir.resolve("mounter.sock");
            int exit = command.execute(flag[0], flag[1], "--socket", socket.toString(), "--state-dir",
                    dir.resolve("state").toString(), "--host-mount-ns", "/proc/self/ns/mnt", "--http-listen", "off");
            assertEquals(2, exit, err.toString());
            assertTrue(err.toString().contains("must be at least 1"), err.toString());
            assertFalse(Files.exists(socket));
            assertFalse(Files.exists(dir.resolve("state")));
        }
    }

    @Test
    void helpNamesTheBound() {
        StringWriter out = new StringWriter();
        CommandLine command = new CommandLine(new MounterDaemon());
        command.setOut(new PrintWriter(out, true));
        assertEquals(0, command.execute("--help"));
        assertTrue(out.toString().contains("--max-requests=N"), out.toString());
        assertTrue(out.toString().contains("EAGAIN"), out.toString());
    }
}

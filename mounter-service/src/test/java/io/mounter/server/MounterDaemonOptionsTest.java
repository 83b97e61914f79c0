package io.mounter.server;

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

class MounterDaemonOptionsTest {
    @TempDir
    Path dir;

    @Test
    void aNonLoopbackHttpAddressStopsTheStartBeforeAnythingListens() {
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new MounterDaemon());
        command.setErr(new PrintWriter(err, true));

        Path socket = dir.resolve("mounter.sock");
        int exit = command.execute("--http-listen", "0.0.0.0:9477", "--socket", socket.toString(),
                "--state-dir", dir.resolve("state").toString(), "--host-mount-ns", "/proc/self/ns/mnt");

        assertEquals(2, exit, err.toString());
        assertTrue(err.toString().contains("--http-listen"), err.toString());
        assertTrue(err.toString().contains("0.0.0.0 is not a loopback address"), err.toString());
        assertFalse(Files.exists(socket), "no socket made");
        assertFalse(Files.exists(dir.resolve("state")), "nothing done");
    }

    @Test
    void helpNamesTheEndpointAndItsDefault() {
        StringWriter out = new StringWriter();
        CommandLine command = new CommandLine(new MounterDaemon());
        command.setOut(new PrintWriter(out, true));

        assertEquals(0, command.execute("--help"));
        assertTrue(out.toString().contains("--http-listen=ADDR"), out.toString());
        assertTrue(out.toString().contains("Default: 127.0.0.1:9477"), out.toString());
    }
}

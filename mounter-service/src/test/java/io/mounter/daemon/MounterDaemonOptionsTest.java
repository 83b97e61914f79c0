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

    /** mounterd in a JVM of its own that believes it runs on an architecture the tables lack. */
    @Test
    void anArchitectureTheTablesDoNotCoverStopsTheStart() throws Exception {
        Path socket = dir.resolve("mounter.sock");
        Path javaCommand = Path.of(System.getProperty("java.home"), "bin", "java");
        Process mounterd = new ProcessBuilder(javaCommand.toString(), "-Dos.arch=s390x", "-cp",
                System.getProperty("java.class.path"), MounterDaemon.class.getName(), "--socket", socket.toString(),
                "--state-dir", dir.resolve("state").toString(), "--http-listen", "off",
                "--host-mount-ns", "/proc/self/ns/mnt").redirectErrorStream(true).start();
        String output = new String(mounterd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, mounterd.waitFor(), output);
        assertTrue(output.contains("mounterd: refusing to start: architecture s390x is not supported"), output);
        assertFalse(Files.exists(socket), "no socket made");
        assertFalse(Files.exists(dir.resolve("state")), "nothing done");
    }
}

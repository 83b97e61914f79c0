package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mounter.linux.Abi.Arch;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Abi}'s tables against the system headers: {@code preload-shim/test/abi_probe.c}
 * prints every fact as the headers of its compile target define it. Compiled natively with
 * gcc and for aarch64 with aarch64-linux-gnu-gcc (static, run under qemu-aarch64-static in
 * user mode, started explicitly: nothing is registered with binfmt_misc). Where the cross
 * tools are missing the aarch64 test is skipped, naming the Debian package; {@code ./run}
 * installs them, and CI fails on a skipped test.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AbiLayoutTest {
    private static final Path MODULE = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    private static final Path SHIM = MODULE.resolve("../preload-shim").normalize();
    private static final Path PROBE_SOURCE = SHIM.resolve("test/abi_probe.c");
    private static final Path AARCH64_LIBC = Path.of("/usr/aarch64-linux-gnu/lib/libc.a");

    @TempDir
    Path build;

    @Test
    void theNativeTableMatchesTheHeaders() throws Exception {
        Path probe = compile("gcc", "abi_probe");
        Map<String, Long> headers = parse(run(List.of(probe.toString())));
        // the JVM's own architecture: x86-64 here; a JVM on an uncovered one fails in Abi
        assertMatches(Abi.forOsArch(System.getProperty("os.arch")), headers);
    }

    @Test
    void theAarch64TableMatchesTheCrossHeaders() throws Exception {
        requireTool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
        Assumptions.assumeTrue(Files.exists(AARCH64_LIBC),
                AARCH64_LIBC + " missing: install the Debian package libc6-dev-arm64-cross (./run test does)");
        requireTool("qemu-aarch64-static", "qemu-user-static");
        // static, so qemu needs no aarch64 dynamic loader or -L sysroot
        Path probe = compile("aarch64-linux-gnu-gcc", "abi_probe-aarch64", "-static");
        Map<String, Long> headers = parse(run(List.of("qemu-aarch64-static", probe.toString())));
        assertMatches(Abi.of(Arch.AARCH64), headers);
    }

    @Test
    void osArchNamesMapToTheirTables() {
        assertEquals(Arch.X86_64, Abi.forOsArch("amd64").arch());
        assertEquals(Arch.X86_64, Abi.forOsArch("x86_64").arch());
        assertEquals(Arch.AARCH64, Abi.forOsArch("aarch64").arch());
        assertEquals(Arch.AARCH64, Abi.forOsArch("arm64").arch());
        assertEquals(Abi.of(Arch.AARCH64).facts(), Abi.forOsArch("arm64").facts());
    }

    @Test
    void anUncoveredArchitectureIsRefused() {
        Abi.UnsupportedArchitectureException e =
                assertThrows(Abi.UnsupportedArchitectureException.class, () -> Abi.forOsArch("s390x"));
        assertTrue(e.getMessage().contains("s390x"), e.getMessage());
    }

    // ---- compiling and running the probe ----

    /** Compiles the probe with the Makefile's CFLAGS, so it stays -Werror clean with them. */
    private Path compile(String compiler, String name, String... extra) throws Exception {
        Path out = build.resolve(name);
        List<String> command = new ArrayList<>(List.of(compiler));
        command.addAll(makefileCflags());
        command.addAll(Arrays.asList(extra));
        command.addAll(List.of("-o", out.toString(), PROBE_SOURCE.toString()));
        run(command);
        return out;
    }

    /** The value of the Makefile's {@code CFLAGS :=} line. */
    private static List<String> makefileCflags() throws IOException {
        String line = Files.readAllLines(SHIM.resolve("Makefile")).stream()
                .filter(l -> l.startsWith("CFLAGS :="))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no 'CFLAGS :=' line in " + SHIM.resolve("Makefile")));
        String value = line.substring("CFLAGS :=".length()).trim();
        assertTrue(!value.contains("$("), "CFLAGS refers to other make variables: " + value);
        return List.of(value.split("\\s+"));
    }

    /** stdout and stderr of the command; fails unless it exits 0 within a minute. */
    private String run(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(build, "output", ".txt");
        Process p = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", command) + ": still running after 60 s");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
        return output;
    }

    private static void requireTool(String program, String debianPackage) {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
        Assumptions.assumeTrue(found,
                program + " not found: install the Debian package " + debianPackage + " (./run test does)");
    }

    private static Map<String, Long> parse(String output) {
        Map<String, Long> facts = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String[] parts = line.split(" ");
            assertEquals(2, parts.length, "probe line not 'NAME VALUE': [" + line + "]");
            Long previous = facts.put(parts[0], Long.parseLong(parts[1]));
            assertNull(previous, "probe printed " + parts[0] + " twice");
        }
        return facts;
    }

    /** One assertion listing every difference, so a wrong table is fixed in one go. */
    private static void assertMatches(Abi abi, Map<String, Long> headers) {
        Map<String, Long> table = abi.facts();
        List<String> problems = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(table.keySet());
        names.addAll(headers.keySet());
        for (String name : names) {
            Long ours = table.get(name);
            Long theirs = headers.get(name);
            if (ours == null) {
                problems.add(name + ": printed by abi_probe.c, missing from Abi.java (headers: " + show(theirs) + ")");
            } else if (theirs == null) {
                problems.add(name + ": in Abi.java (" + show(ours) + "), not printed by abi_probe.c");
            } else if (!ours.equals(theirs)) {
                problems.add(name + ": Abi.java has " + show(ours) + ", the headers " + show(theirs));
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " difference(s) between Abi's " + abi.arch()
                + " table and the headers:\n  " + String.join("\n  ", problems));
        assertEquals(table.keySet(), headers.keySet());
    }

    private static String show(long value) {
        return value < 0 ? Long.toString(value) : value + " (0x" + Long.toHexString(value) + ")";
    }
}

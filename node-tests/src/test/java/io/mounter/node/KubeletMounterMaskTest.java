package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.policy.CredentialMaskVectors;
import io.mounter.policy.CredentialMaskVectors.Row;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * kubelet-mounter's masking rule (its awk, run by dash as on a node) against the vector
 * file that mounterd's CredentialMask and the shim's credential_mask.c are checked against
 * too: {@code kubelet-mounter --mask-options|--mask-source|--mask-text} masks stdin line by
 * line. Every row with its own rule; every options and source row without whitespace with
 * the text rule as well (a log line that is just an option string or a source masks the
 * same way); every expected output masked again, unchanged. No privileges needed.
 */
class KubeletMounterMaskTest {
    private static Path script() {
        Path script = Distribution.locate().bin("kubelet-mounter");
        assertTrue(Files.isRegularFile(script), "the build installs " + script);
        return script;
    }

    private static CommandResult runMask(String kind, String stdin, String... extra) {
        List<String> argv = new ArrayList<>(List.of("dash", script().toString(), "--mask-" + kind));
        argv.addAll(List.of(extra));
        return Command.of(argv)
                .withEnvironment(Map.of(
                        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
                        "KUBELET_MOUNTER_CONFIG", "/nonexistent/kubelet-mounter.conf"))
                .withInput(stdin)
                .withTimeout(Duration.ofSeconds(30))
                .exec();
    }

    /** The lines masked by one run of the rule (one line in, one line out). */
    private static List<String> mask(String kind, List<String> lines) {
        CommandResult result = runMask(kind, lines.stream().map(line -> line + "\n").reduce("", String::concat));
        assertTrue(result.succeeded(), result::describe);
        assertEquals("", result.stderr());
        List<String> out = new ArrayList<>(Arrays.asList(result.stdout().split("\n", -1)));
        assertEquals("", out.remove(out.size() - 1), "output ends with a newline: " + result.stdout());
        assertEquals(lines.size(), out.size(), "one line out per line in: " + result.stdout());
        return out;
    }

    /** One dynamic test per row: the rows go through kind's rule in one run. */
    private static Stream<DynamicTest> check(String what, String kind, List<Row> rows, Function<Row, String> input) {
        List<String> masked = mask(kind, rows.stream().map(input).toList());
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            String got = masked.get(i);
            tests.add(DynamicTest.dynamicTest(row + " " + what,
                    () -> assertEquals(row.expected(), got, row + " " + what)));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyRowMasksAsTheVectorFileSays() throws IOException {
        List<Row> rows = CredentialMaskVectors.rows();
        Stream<DynamicTest> all = Stream.empty();
        for (String kind : CredentialMaskVectors.KINDS) {
            List<Row> ofKind = rows.stream().filter(row -> row.kind().equals(kind)).toList();
            all = Stream.concat(all, check("by --mask-" + kind, kind, ofKind, Row::input));
            all = Stream.concat(all, check("masked again by --mask-" + kind, kind, ofKind, Row::expected));
            if (!kind.equals("text")) {
                List<Row> oneWord = ofKind.stream().filter(Row::isOneWord).toList();
                all = Stream.concat(all, check("as a line of text", "text", oneWord, Row::input));
            }
        }
        return all;
    }

    @Test
    void theVectorFileCoversEachKind() throws IOException {
        List<Row> rows = CredentialMaskVectors.rows();
        for (String kind : CredentialMaskVectors.KINDS) {
            long count = rows.stream().filter(row -> row.kind().equals(kind)).count();
            assertTrue(count >= 15, count + " " + kind + " rows");
        }
    }

    @Test
    void theMaskModesReadNoConfigAndTakeNoArguments() {
        // KUBELET_MOUNTER_CONFIG names a missing file, which a mount call refuses (exit 1)
        CommandResult masked = runMask("text", "password=x\n");
        assertTrue(masked.succeeded(), masked::describe);
        assertEquals("password=<masked>\n", masked.stdout());

        CommandResult extra = runMask("text", "", "password=x");
        assertEquals(1, extra.exitStatus(), extra::describe);
        assertTrue(extra.stderr().startsWith("kubelet-mounter: --mask-text takes no arguments"), extra.stderr());
    }
}

package io.mounter.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared masking vectors (test-vectors/credential-masking.tsv): one rule, three
 * implementations (CredentialMask, the shim's credential_mask.c, kubelet-mounter's awk),
 * each checked against these rows. node-tests reads them through this module's test jar.
 */
public final class CredentialMaskVectors {
    /** Relative to a module directory, where surefire runs. */
    public static final Path FILE = Path.of("..", "test-vectors", "credential-masking.tsv");

    public static final List<String> KINDS = List.of("options", "source", "text");

    /** A row: kind's rule turns input into expected. */
    public record Row(int line, String kind, String input, String expected) {
        @Override
        public String toString() {
            return "line " + line + " " + kind + " [" + input + "]";
        }

        /** Whether the input is one word, so that it masks the same as a line of text. */
        public boolean isOneWord() {
            return input.chars().noneMatch(c -> " \t\n\r\f\u000b".indexOf(c) >= 0);
        }
    }

    private CredentialMaskVectors() {
    }

    public static List<Row> rows() throws IOException {
        assertTrue(Files.isRegularFile(FILE), "no " + FILE.toAbsolutePath());
        List<String> lines = Files.readAllLines(FILE, StandardCharsets.UTF_8);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            assertEquals(3, fields.length, "line " + (i + 1) + ": kind<TAB>input<TAB>expected: " + line);
            assertTrue(KINDS.contains(fields[0]), "line " + (i + 1) + ": kind " + fields[0]);
            rows.add(new Row(i + 1, fields[0], fields[1], fields[2]));
        }
        return rows;
    }
}

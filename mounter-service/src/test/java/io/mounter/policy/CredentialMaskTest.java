package io.mounter.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * CredentialMask against the shared vector file, which the C shim's and kubelet-mounter's
 * tests read too: one rule, three implementations.
 */
class CredentialMaskTest {
    private static UnaryOperator<String> rule(String kind) {
        return switch (kind) {
            case "options" -> CredentialMask::options;
            case "source" -> CredentialMask::source;
            default -> CredentialMask::text;
        };
    }

    @TestFactory
    Stream<DynamicTest> everyRowMasksAsTheVectorFileSays() throws IOException {
        return CredentialMaskVectors.rows().stream().map(row -> DynamicTest.dynamicTest(row.toString(), () -> {
            UnaryOperator<String> rule = rule(row.kind());
            assertEquals(row.expected(), rule.apply(row.input()), row.toString());
            assertEquals(row.expected(), rule.apply(row.expected()), row + ": masking the result again changes it");
            if (!row.kind().equals("text") && row.isOneWord()) {
                assertEquals(row.expected(), CredentialMask.text(row.input()), row + " as a line of text");
            }
        }));
    }

    @Test
    void theVectorFileCoversEachKind() throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (CredentialMaskVectors.Row row : CredentialMaskVectors.rows()) {
            counts.merge(row.kind(), 1, Integer::sum);
        }
        assertTrue(counts.getOrDefault("options", 0) >= 25, "options rows: " + counts);
        assertTrue(counts.getOrDefault("source", 0) >= 15, "source rows: " + counts);
        assertTrue(counts.getOrDefault("text", 0) >= 15, "text rows: " + counts);
    }

    @Test
    void nullIsEmpty() {
        assertEquals("", CredentialMask.options(null));
        assertEquals("", CredentialMask.source(null));
        assertEquals("", CredentialMask.text(null));
    }

    @Test
    void caseIsAsciiOnly() {
        // U+212A KELVIN SIGN lower-cases to 'k' in Java, not in C or awk: no match anywhere
        assertEquals("\u212aey=v", CredentialMask.options("\u212aey=v"));
        assertEquals("\u00e9password=<masked>", CredentialMask.options("\u00e9password=v"));
    }
}

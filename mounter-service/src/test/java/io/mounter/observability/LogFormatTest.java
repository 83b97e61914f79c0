package io.mounter.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogFormatTest {
    @Test
    void theSystemPropertyWinsThenTheEnvironmentThenTheProgramsDefault() {
        assertEquals("text", LogFormat.choose("text", "json", "json"));
        assertEquals("json", LogFormat.choose(null, "JSON", "text"));
        assertEquals("text", LogFormat.choose("", "text", "json"));
        assertEquals("json", LogFormat.choose(null, null, "json"));
        assertEquals("text", LogFormat.choose(null, "", "text"));
    }

    @Test
    void anUnknownFormatFallsBackToTheProgramsDefault() {
        assertEquals("json", LogFormat.choose(null, "xml", "json"));
        assertEquals("text", LogFormat.choose("yaml", "json", "text"));
    }
}

package io.mounter.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.charset.StandardCharsets;
import org.slf4j.event.KeyValuePair;
import org.junit.jupiter.api.Test;

class LogSetupTest {
    @Test
    void aLogbackTestXmlOnTheClassPathIsLeftToLogback() {
        // this module's tests carry one (quiet logs); logback's Joran reads it instead
        assertNotNull(getClass().getClassLoader().getResource("logback-test.xml"));
        LoggerContext context = new LoggerContext();
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, setup.configure(context));
        assertEquals(null, context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(LogSetup.APPENDER));
    }

    @Test
    void jsonGoesToStderrAtTheLevelAsked() {
        Logger root = installed("json", "warn");
        ConsoleAppender<ILoggingEvent> appender = (ConsoleAppender<ILoggingEvent>) root.getAppender(LogSetup.APPENDER);
        assertEquals("System.err", appender.getTarget());
        assertInstanceOf(JsonEncoder.class, appender.getEncoder());
        assertEquals(Level.WARN, root.getLevel());
    }

    @Test
    void anythingButJsonIsTextAndAnUnknownLevelIsInfo() {
        Logger root = installed("xml", "loud");
        assertInstanceOf(PatternLayoutEncoder.class,
                ((ConsoleAppender<ILoggingEvent>) root.getAppender(LogSetup.APPENDER)).getEncoder());
        assertEquals(Level.INFO, root.getLevel());
        assertEquals(Level.INFO, installed(null, null).getLevel());
    }

    /** Threat: a caller's target with a quote or a line break must not forge a pair or a line. */
    @Test
    void theTextFormatEscapesQuotesBackslashesAndLineBreaksInValues() {
        Logger root = installed("text", "info");
        PatternLayoutEncoder encoder = (PatternLayoutEncoder) ((ConsoleAppender<ILoggingEvent>) root
                .getAppender(LogSetup.APPENDER)).getEncoder();
        LoggingEvent event = new LoggingEvent("test", root, Level.INFO, "request", null, null);
        event.addKeyValuePair(new KeyValuePair("op", "MOUNT"));
        event.addKeyValuePair(new KeyValuePair("target", "/p/x\" result=\"ok\"\n2026 INFO forged \\"));

        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

        assertTrue(line.endsWith(" request op=\"MOUNT\" target=\"/p/x\\\" result=\\\"ok\\\"\\x0a2026 INFO forged"
                + " \\\\\"" + System.lineSeparator()), line);
        assertEquals(1, line.lines().count(), line);
    }

    private static Logger installed(String format, String level) {
        LoggerContext context = new LoggerContext();
        LogSetup.install(context, format, level);
        return context.getLogger(Logger.ROOT_LOGGER_NAME);
    }
}

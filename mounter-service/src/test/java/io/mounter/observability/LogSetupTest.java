package io.mounter.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
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

    private static Logger installed(String format, String level) {
        LoggerContext context = new LoggerContext();
        LogSetup.install(context, format, level);
        return context.getLogger(Logger.ROOT_LOGGER_NAME);
    }
}

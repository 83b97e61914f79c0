package io.mounter.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.HashMap;
import java.util.Map;

/**
 * logback's configuration, made in code (found by logback through
 * {@code META-INF/services}): one appender to stderr, JSON or text as {@link LogFormat}
 * chose, the root level from {@code MOUNTER_LOG_LEVEL} (INFO). Reading a logback.xml (the
 * XML parser, Joran's model) cost mounterd about 50 ms of its start and 3 MB resident.
 * As with logback's own defaults, {@code -Dlogback.configurationFile=FILE} or a
 * {@code logback-test.xml} on the class path (the tests') wins: logback then reads that file.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    public static final String LEVEL_ENVIRONMENT = "MOUNTER_LOG_LEVEL";
    /** The text format: key/value pairs follow the message as key="value", escaped ({@link QuotedKeyValues}). */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level %logger{0} %msg%quotedKvp%n";
    static final String APPENDER = "STDERR";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null
                || LogSetup.class.getClassLoader().getResource(ContextInitializer.TEST_AUTOCONFIG_FILE) != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        install(context, System.getProperty(LogFormat.PROPERTY, System.getenv(LogFormat.ENVIRONMENT)),
                System.getenv(LEVEL_ENVIRONMENT));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** The root logger writes to stderr in {@code format} (json, else text) from {@code level} (INFO if null or unknown). */
    public static void install(LoggerContext context, String format, String level) {
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(stderr(context, encoder(context, "json".equalsIgnoreCase(format))));
        root.setLevel(Level.toLevel(level, Level.INFO));
    }

    /**
     * JSON: one object per line with timestamp (epoch ms), level, threadName, loggerName,
     * kvpList (the event's key/value pairs: op, target, result, ...), formattedMessage,
     * throwable. Text: {@link #TEXT_PATTERN}.
     */
    private static Encoder<ILoggingEvent> encoder(LoggerContext context, boolean json) {
        Encoder<ILoggingEvent> encoder;
        if (json) {
            JsonEncoder jsonEncoder = new JsonEncoder();
            jsonEncoder.setWithSequenceNumber(false);
            jsonEncoder.setWithNanoseconds(false);
            jsonEncoder.setWithContext(false);
            jsonEncoder.setWithMDC(false);
            jsonEncoder.setWithMessage(false);
            jsonEncoder.setWithArguments(false);
            jsonEncoder.setWithFormattedMessage(true);
            encoder = jsonEncoder;
        } else {
            // as a <conversionRule> in logback.xml would: the registry the pattern parser reads
            @SuppressWarnings("unchecked")
            Map<String, String> rules = (Map<String, String>) context.getObject(CoreConstants.PATTERN_RULE_REGISTRY);
            if (rules == null) {
                rules = new HashMap<>();
                context.putObject(CoreConstants.PATTERN_RULE_REGISTRY, rules);
            }
            rules.put("quotedKvp", QuotedKeyValues.class.getName());
            PatternLayoutEncoder patternEncoder = new PatternLayoutEncoder();
            patternEncoder.setPattern(TEXT_PATTERN);
            encoder = patternEncoder;
        }
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }

    /** stderr only: the static pod's log is stderr, and mounterctl's stdout is for its output. */
    private static ConsoleAppender<ILoggingEvent> stderr(LoggerContext context, Encoder<ILoggingEvent> encoder) {
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}

package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.table.MountTable;
import io.mounter.linux.Errno;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SyscallException;
import io.mounter.observability.LogSetup;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The request log as an operator reads it: one line per request, through the shipped
 * logging set-up's encoders (JSON for mounterd, text for mounterctl), with named
 * fields and no credentials.
 */
class RequestLogTest {
    private static final String SECRET = "hunter2-not-for-logs";
    private static final String TARGET = "/var/lib/kubelet/pods/p/volumes/v";
    private static final PeerCredentials ROOT = new PeerCredentials(4321, 0, 0);

    private final FakeExecutor mounter = new FakeExecutor();
    private final RequestHandler handler = new RequestHandler(policy(), mounter, new MountTable(),
            new RequestHandlerTest.MutableClock(1_700_000_000_000L), new RequestHandlerTest.FakeHelper(),
            new RequestHandlerTest.FakeDaemons());
    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private final Map<Logger, Level> levels = new LinkedHashMap<>();

    private static MountPolicy policy() {
        Set<String> fstypes = new HashSet<>(MountPolicy.DEFAULT_FSTYPES);
        fstypes.add("tmpfs");
        return new MountPolicy(fstypes, MountPolicy.DEFAULT_PREFIXES, Set.of(0));
    }

    @BeforeEach
    void capture() {
        captured.start();
        for (String name : List.of(RequestHandler.class.getName(), "io.mounter.audit")) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            levels.put(logger, logger.getLevel());
            logger.setLevel(Level.INFO);
            logger.addAppender(captured);
        }
    }

    @AfterEach
    void release() {
        levels.forEach((logger, level) -> {
            logger.detachAppender(captured);
            logger.setLevel(level);
        });
    }

    private void handle(Request request) {
        Wire.handle(handler, new ReceivedMessage(MessageCodec.encodeRequest(request), new int[0], false, false), ROOT);
    }

    private static Request.Mount tmpfs(String fstype) {
        return new Request.Mount(5, "https://user:" + SECRET + "@dav.example/d", TARGET, fstype, 0,
                "size=1m,password=" + SECRET, -1);
    }

    private ILoggingEvent onlyEvent() {
        assertEquals(1, captured.list.size(), () -> "one line per request: " + captured.list);
        return captured.list.get(0);
    }

    @Test
    void aMountIsOneJsonObjectOnOneLineWithNamedFieldsAndNoCredentials() throws Exception {
        handle(tmpfs("tmpfs"));

        String line = encode("json", onlyEvent());
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
        assertFalse(line.contains(SECRET), line);
        Map<String, Object> json = JSON.std.mapFrom(line);
        assertEquals("INFO", json.get("level"));
        assertEquals(RequestHandler.class.getName(), json.get("loggerName"));
        Map<String, String> fields = fields(json);
        assertEquals("MOUNT", fields.get("op"));
        assertEquals(TARGET, fields.get("target"));
        assertEquals("tmpfs", fields.get("fstype"));
        assertEquals("https://user:<masked>@dav.example/d", fields.get("source"));
        assertEquals("size=1m,password=<masked>", fields.get("options"));
        assertEquals("4321", fields.get("peer_pid"));
        assertEquals("0", fields.get("peer_uid"));
        assertEquals("ok", fields.get("result"));
        assertTrue(Long.parseLong(fields.get("duration_us")) >= 0, line);
    }

    @Test
    void aRefusalIsAnAuditLineWithItsReason() throws Exception {
        handle(tmpfs("ext4"));

        ILoggingEvent event = onlyEvent();
        assertEquals("io.mounter.audit", event.getLoggerName());
        String line = encode("json", event);
        assertFalse(line.contains(SECRET), line);
        Map<String, Object> json = JSON.std.mapFrom(line);
        assertEquals("WARN", json.get("level"));
        assertEquals("refused", json.get("formattedMessage"));
        Map<String, String> fields = fields(json);
        assertEquals("EPERM", fields.get("result"));
        assertEquals("fstype ext4 is not allowed", fields.get("reason"));
        assertEquals("size=1m,password=<masked>", fields.get("options"));
    }

    @Test
    void aFailedMountIsAWarningWithTheErrnoNameAndTheError() throws Exception {
        mounter.failWith = new SyscallException("mount", "tmpfs, " + TARGET, Errno.ENOENT, "No such file or directory");
        handle(tmpfs("tmpfs"));

        Map<String, String> fields = fields(JSON.std.mapFrom(encode("json", onlyEvent())));
        assertEquals(Level.WARN, onlyEvent().getLevel());
        assertEquals("ENOENT", fields.get("result"));
        assertTrue(fields.get("error").contains("No such file or directory"), fields.toString());
    }

    @Test
    void listAndStatusLogOnlyAtDebug() {
        handle(new Request.List(1, 0));
        handle(new Request.Status(2));
        assertEquals(List.of(), captured.list);
    }

    @Test
    void theTextFormatShowsTheSameFieldsAsKeyEqualsValue() throws Exception {
        handle(tmpfs("tmpfs"));

        String line = encode("text", onlyEvent());
        assertTrue(line.contains(" INFO  RequestHandler request op=\"MOUNT\" target=\"" + TARGET + "\""), line);
        assertTrue(line.contains(" options=\"size=1m,password=<masked>\""), line);
        assertTrue(line.contains(" result=\"ok\""), line);
        assertFalse(line.contains(SECRET), line);
    }

    @Test
    void aTargetWithALineBreakStaysOnOneLine() throws Exception {
        handle(new Request.Umount(3, "/var/lib/kubelet/pods/x\nFAKE audit line", 0));

        for (String format : List.of("json", "text")) {
            String line = encode(format, onlyEvent());
            assertEquals(line.length() - 1, line.indexOf('\n'), format + ": " + line);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> fields(Map<String, Object> json) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Object pair : (List<Object>) json.get("kvpList")) {
            ((Map<String, Object>) pair).forEach((key, value) -> fields.put(key, String.valueOf(value)));
        }
        return fields;
    }

    /** Encodes with the encoder mounter's logging set-up ({@link LogSetup}) installs for {@code format}. */
    private static String encode(String format, ILoggingEvent event) {
        LoggerContext context = new LoggerContext();
        try {
            LogSetup.install(context, format, null);
            assertTrue(new StatusUtil(context).getHighestLevel(0) < Status.WARN,
                    () -> "the logging set-up configures cleanly: " + context.getStatusManager().getCopyOfStatusList());
            ConsoleAppender<ILoggingEvent> appender = (ConsoleAppender<ILoggingEvent>)
                    context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
            Encoder<ILoggingEvent> encoder = appender.getEncoder();
            Class<?> expected = format.equals("json") ? JsonEncoder.class : PatternLayoutEncoder.class;
            assertInstanceOf(expected, encoder);
            return new String(encoder.encode(event), StandardCharsets.UTF_8);
        } finally {
            context.stop();
        }
    }
}

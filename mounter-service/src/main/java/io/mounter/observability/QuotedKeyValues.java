package io.mounter.observability;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The text log's key/value pairs, each as {@code  key="value"}. Threat: a value is whatever a
 * caller gave (a target path, a source), and a double quote or a line break in it would forge
 * a pair or a whole line for whoever reads the log; so backslash, double quote and control
 * characters are written {@code \\}, {@code \"} and {@code \xNN}.
 */
public final class QuotedKeyValues extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs == null || pairs.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (KeyValuePair pair : pairs) {
            out.append(' ').append(pair.key).append("=\"");
            escape(String.valueOf(pair.value), out);
            out.append('"');
        }
        return out.toString();
    }

    static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '"') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
    }
}

package io.mounter.node;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * mounterd's log (one JSON object per line) as lines of fields: "message" and every
 * key/value pair the line carries, values as text. Lines that are not JSON (a JVM warning)
 * are skipped.
 */
record MounterdLog(List<Map<String, String>> all) {

    static MounterdLog of(MounterNode node) {
        List<Map<String, String>> lines = new ArrayList<>();
        for (String text : node.mounterd().log().split("\n")) {
            Map<String, String> line = parse(text);
            if (line != null) {
                lines.add(line);
            }
        }
        return new MounterdLog(lines);
    }

    private static Map<String, String> parse(String text) {
        if (!text.startsWith("{")) {
            return null;
        }
        Map<String, Object> json;
        try {
            json = JSON.std.mapFrom(text);
        } catch (IOException e) {
            return null;
        }
        Map<String, String> line = new HashMap<>();
        Object message = json.get("message") != null ? json.get("message") : json.get("formattedMessage");
        line.put("message", String.valueOf(message));
        line.put("level", String.valueOf(json.get("level")));
        if (json.get("kvpList") instanceof List<?> pairs) {
            for (Object pair : pairs) {
                if (pair instanceof Map<?, ?> map) {
                    map.forEach((key, value) -> line.put(String.valueOf(key), String.valueOf(value)));
                }
            }
        }
        return line;
    }

    /** The lines with this message. */
    List<Map<String, String>> lines(String message) {
        return all.stream().filter(line -> message.equals(line.get("message"))).toList();
    }
}

package io.mounter.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders mount records for people (a table) and for programs (JSON). */
final class MountListing {
    private MountListing() {
    }

    static String table(List<MountEntry> entries) {
        StringBuilder out = new StringBuilder();
        String format = "%-40s %-16s %-30s %8s %8s  %-24s  %s%n";
        out.append(String.format(format, "TARGET", "FSTYPE", "SOURCE", "PID", "DAEMON", "CREATED", "STATE"));
        for (MountEntry e : entries) {
            out.append(String.format(format, printable(e.target()), printable(e.fstype()), printable(e.source()),
                    e.requesterPid(), e.daemonPid() == 0 ? "-" : Integer.toString(e.daemonPid()),
                    Instant.ofEpochMilli(e.createdAtMillis()),
                    printable(e.stateReason().isEmpty() ? e.state().label() : e.state().label() + ": " + e.stateReason())));
        }
        return out.toString();
    }

    /**
     * Threat: a path or source is whatever a caller gave; a newline in it would forge a row of
     * the table (a terminal escape, worse). Backslash and control characters are written as
     * {@code \\} and {@code \xNN}.
     */
    static String printable(String text) {
        if (text == null) {
            return "-";
        }
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\\') {
                out.append("\\\\");
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    static String json(List<MountEntry> entries) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MountEntry e : entries) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("target", e.target());
            row.put("fstype", e.fstype());
            row.put("source", e.source());
            row.put("requesterPid", e.requesterPid());
            row.put("daemonPid", e.daemonPid());
            row.put("createdAt", Instant.ofEpochMilli(e.createdAtMillis()).toString());
            row.put("state", e.state().label());
            row.put("stateReason", e.stateReason());
            rows.add(row);
        }
        try {
            return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(rows) + System.lineSeparator();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

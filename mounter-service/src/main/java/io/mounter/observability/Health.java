package io.mounter.observability;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * mounterd's health as its parts report it: each component is healthy until it reports a
 * problem, and healthy again once it reports recovery; a component with a check is asked
 * at each look. Degraded still serves mounts (a full state disk, a mount whose daemon is
 * being brought back); /healthz and mounterctl status show the reasons. Thread-safe.
 */
public final class Health {
    private final Map<String, String> problems = new TreeMap<>();
    private final Map<String, Supplier<String>> checks = new TreeMap<>();

    /** Marks {@code component} degraded with a short reason (no secrets). */
    public synchronized void degrade(String component, String reason) {
        problems.put(component, reason);
    }

    public synchronized void recover(String component) {
        problems.remove(component);
    }

    /**
     * Asks {@code problem} at each look: null while {@code component} is healthy, else a
     * short reason (no secrets). It must be quick and must not call back here.
     */
    public synchronized void addCheck(String component, Supplier<String> problem) {
        checks.put(component, problem);
    }

    public synchronized boolean isHealthy() {
        return current().isEmpty();
    }

    /** "ok", or "degraded: component: reason; ..." */
    public synchronized String summary() {
        Map<String, String> now = current();
        if (now.isEmpty()) {
            return "ok";
        }
        StringBuilder out = new StringBuilder("degraded:");
        now.forEach((component, reason) -> out.append(' ').append(component).append(": ").append(reason).append(';'));
        return out.substring(0, out.length() - 1);
    }

    private Map<String, String> current() {
        Map<String, String> now = new TreeMap<>(problems);
        checks.forEach((component, check) -> {
            String reason = check.get();
            if (reason != null) {
                now.put(component, reason);
            }
        });
        return now;
    }
}

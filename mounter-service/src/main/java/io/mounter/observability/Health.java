package io.mounter.observability;

import java.util.Map;
import java.util.TreeMap;

/**
 * mounterd's health as its parts report it: each component is healthy until it reports a
 * problem, and healthy again once it reports recovery. Degraded still serves mounts (a full
 * state disk, say); /healthz and mounterctl status show the reasons. Thread-safe.
 */
public final class Health {
    private final Map<String, String> problems = new TreeMap<>();

    /** Marks {@code component} degraded with a short reason (no secrets). */
    public synchronized void degrade(String component, String reason) {
        problems.put(component, reason);
    }

    public synchronized void recover(String component) {
        problems.remove(component);
    }

    public synchronized boolean isHealthy() {
        return problems.isEmpty();
    }

    /** "ok", or "degraded: component: reason; ..." */
    public synchronized String summary() {
        if (problems.isEmpty()) {
            return "ok";
        }
        StringBuilder out = new StringBuilder("degraded:");
        problems.forEach((component, reason) -> out.append(' ').append(component).append(": ").append(reason).append(';'));
        return out.substring(0, out.length() - 1);
    }
}

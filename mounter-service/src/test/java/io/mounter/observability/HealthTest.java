package io.mounter.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthTest {
    private final Health health = new Health();

    @Test
    void aCheckIsAskedAtEachLookBesideTheReportedProblems() {
        AtomicReference<String> mounts = new AtomicReference<>();
        health.addCheck("mounts", mounts::get);
        assertEquals("ok", health.summary());

        mounts.set("1 recovering (mounterctl list says why)");
        health.degrade("state", "disk full");

        assertFalse(health.isHealthy());
        assertEquals("degraded: mounts: 1 recovering (mounterctl list says why); state: disk full", health.summary());
        mounts.set(null);
        health.recover("state");
        assertTrue(health.isHealthy());
        assertEquals("ok", health.summary());
    }
}

package io.mounter.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mounter.protocol.MountState;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The "mounts" health check: healthy while every mount serves, else how many do not. */
class NotServingTest {
    private static Map<MountState, Integer> counts(int serving, int recovering, int dead) {
        Map<MountState, Integer> counts = new EnumMap<>(MountState.class);
        counts.put(MountState.SERVING, serving);
        counts.put(MountState.RECOVERING, recovering);
        counts.put(MountState.DEAD, dead);
        return counts;
    }

    @Test
    void healthyWhileEveryMountServes() {
        assertNull(MounterDaemon.notServing(counts(20, 0, 0)));
        assertNull(MounterDaemon.notServing(counts(0, 0, 0)));
    }

    @Test
    void namesHowManyRecoverAndHowManyAreDead() {
        assertEquals("2 recovering, 1 dead (mounterctl list says why)", MounterDaemon.notServing(counts(5, 2, 1)));
        assertEquals("1 dead (mounterctl list says why)", MounterDaemon.notServing(counts(5, 0, 1)));
    }
}

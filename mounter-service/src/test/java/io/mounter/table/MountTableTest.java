package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.MountState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private final MountTable table = new MountTable();

    private static MountRecord record(String target) {
        // equal values on purpose: records are told apart by identity
        return new MountRecord(new MountEntry("s", target, "fuse", 1, 2, 0), new DeviceNumber(0, 9));
    }

    /** Threat: a daemon command line that holds a volume's secret, saved in clear in the state file. */
    @Test
    void aTargetMarkedSoKeepsNoCommandUntilUnmarked() {
        table.add(record("/t"));
        table.setCommand("/t", List.of("sshfs", "-o", "secret=1", "src", "/t"));
        table.keepNoCommandFor("/t");
        assertEquals(List.of(), table.commandFor("/t"), "a command kept already is dropped");
        table.setCommand("/t", List.of("sshfs", "-o", "secret=1", "src", "/t"));
        assertEquals(Map.of(), table.commands(), "and none is kept later");
        table.keepCommandsFor("/t");
        table.setCommand("/t", List.of("bindfs", "/s", "/t"));
        assertEquals(List.of("bindfs", "/s", "/t"), table.commandFor("/t"));
    }

    @Test
    void recordsAreToldApartByIdentityNotValue() {
        MountRecord first = record("/t");
        MountRecord second = record("/t");
        table.add(first);
        table.add(second);
        assertTrue(table.remove(first));
        assertSame(second, table.snapshot().get(0));
        assertFalse(table.remove(first), "a record goes once");
    }

    @Test
    void aRecordServesUntilItsStateIsSetAndItsSuccessorServesAgain() {
        MountRecord dead = record("/t");
        table.add(dead);
        table.add(record("/u"));

        assertTrue(table.setState(dead, MountState.RECOVERING, "FUSE daemon died"));

        assertEquals(List.of(MountState.RECOVERING, MountState.SERVING),
                table.withStates().stream().map(r -> r.entry().state()).toList());
        assertEquals("FUSE daemon died", table.withStates().get(0).entry().stateReason());
        assertEquals(Map.of(MountState.SERVING, 1, MountState.RECOVERING, 1, MountState.DEAD, 0), table.countByState());
        table.remove(dead);
        table.add(record("/t")); // the fresh mount
        assertFalse(table.setState(dead, MountState.DEAD, "gone"), "a record no longer held");
        assertEquals(Map.of(MountState.SERVING, 2, MountState.RECOVERING, 0, MountState.DEAD, 0), table.countByState());
    }

    @Test
    void removeNewestTakesTheLastOnTheTarget() {
        MountRecord lower = record("/t");
        MountRecord upper = record("/t");
        table.add(lower);
        table.add(record("/u"));
        table.add(upper);
        assertTrue(table.removeNewest("/t"));
        assertTrue(table.snapshot().stream().anyMatch(r -> r == lower));
        assertTrue(table.snapshot().stream().noneMatch(r -> r == upper));
        assertFalse(table.removeNewest("/none"));
    }

    @Test
    void aClaimedRecordIsNotSettledUntilReleased() {
        MountRecord lower = record("/t");
        MountRecord upper = record("/t");
        table.add(lower);
        table.add(upper);
        long generation = table.generation();
        assertSame(upper, table.claimNewest("/t"));
        assertEquals(List.of(lower), table.settledBy(generation), "the watcher leaves a claimed record alone");
        assertSame(lower, table.claimNewest("/t"), "a second claim takes the next one down");
        assertNull(table.claimNewest("/t"));
        table.release(upper);
        table.release(lower);
        table.release(null);
        assertEquals(2, table.settledBy(generation).size());
    }

    @Test
    void onlyRecordsAddedByAGenerationAreSettledByIt() {
        table.add(record("/a"));
        long generation = table.generation();
        MountRecord later = record("/b");
        table.add(later);
        assertEquals(1, table.settledBy(generation).size());
        assertFalse(table.settledBy(generation).contains(later));
        assertEquals(2, table.settledBy(table.generation()).size());
    }

    @Test
    void everyChangeIsAnnounced() {
        AtomicInteger changes = new AtomicInteger();
        List<MountRecord> added = new java.util.ArrayList<>();
        table.setListener(record -> {
            changes.incrementAndGet();
            if (record != null) {
                added.add(record);
            }
        });
        MountRecord a = record("/a");
        table.add(a);
        table.addAll(List.of(record("/b"), record("/c")));
        table.remove(a);
        table.remove(a);
        table.removeNewest("/b");
        assertEquals(5, changes.get(), "add, addAll of two, two removals; a removal of nothing is no change");
        assertEquals(3, added.size(), "each addition names its record, a removal none");
        assertSame(a, added.get(0));
        assertEquals(1, table.size());
    }

    @Test
    void aTargetsCommandGoesWithItsLastRecord() {
        MountRecord lower = record("/t");
        MountRecord upper = record("/t");
        table.addAll(List.of(lower, upper));
        table.setCommand("/t", List.of("bindfs", "/s", "/t"));
        table.setCommand("/elsewhere", List.of("x")); // no record there: not kept
        assertEquals(List.of("bindfs", "/s", "/t"), table.commandFor("/t"));
        assertEquals(List.of(), table.commandFor("/elsewhere"));

        table.remove(upper);
        assertEquals(List.of("bindfs", "/s", "/t"), table.commandFor("/t"), "a record is left on the target");
        table.remove(lower);
        assertEquals(List.of(), table.commandFor("/t"));
        assertTrue(table.commands().isEmpty());
    }
}

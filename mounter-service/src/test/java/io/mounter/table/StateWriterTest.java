package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.observability.Health;
import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StateWriterTest {
    @TempDir
    Path dir;

    private final MountTable table = new MountTable();
    private final Health health = new Health();
    private StateWriter writer;

    /** A real store that counts saves and fails them while {@link #full} is set, as a full disk does. */
    private final class CountingStore extends StateStore {
        final AtomicInteger saves = new AtomicInteger();
        volatile boolean full;

        CountingStore() {
            super(dir);
        }

        @Override
        void save(State state) throws IOException {
            if (full) {
                throw new FileSystemException(file() + ".tmp", null, "No space left on device");
            }
            saves.incrementAndGet();
            super.save(state);
        }
    }

    private CountingStore store;

    @BeforeEach
    void store() {
        store = new CountingStore(); // after @TempDir is set
    }

    @AfterEach
    void stop() {
        if (writer != null) {
            writer.stop();
        }
    }

    private static MountRecord record(int n) {
        return new MountRecord(new MountEntry("src" + n, "/var/lib/kubelet/pods/p/volumes/v" + n, "fuse.sshfs", n,
                1000L + n, 0), new DeviceNumber(0, 100 + n));
    }

    private StateWriter start(Duration coalesce, Duration retry) {
        writer = StateWriter.start(store, table, health, 5, coalesce, retry);
        table.setListener(added -> writer.changed());
        return writer;
    }

    @Test
    void theStartSavesAtOnceWithTheStartCount() throws IOException {
        table.add(record(1));
        start(Duration.ofMillis(20), Duration.ofSeconds(1));
        assertEquals(new StateStore.State(5, List.of(record(1))), store.load());
        assertTrue(health.isHealthy());
    }

    @Test
    void aBurstOfChangesIsSavedOnceOrTwiceAndCompletely() throws IOException {
        start(Duration.ofMillis(200), Duration.ofSeconds(1));
        int before = store.saves.get();
        for (int i = 0; i < 100; i++) {
            table.add(record(i));
        }
        table.remove(table.snapshot().get(0));
        Await.until(() -> safeLoad().mounts().size() == 99, "all changes saved");
        int saves = store.saves.get() - before;
        assertTrue(saves >= 1 && saves <= 2, "100 changes within the coalescing window cost " + saves + " saves");
        assertEquals(table.snapshot(), store.load().mounts());
    }

    @Test
    void aFullDiskDegradesHealthKeepsTheTableAndRecoversWhenSpaceIsBack() throws IOException {
        start(Duration.ofMillis(5), Duration.ofMillis(100));
        store.full = true;
        table.add(record(1));
        Await.until(() -> !health.isHealthy(), "degraded");
        assertTrue(health.summary().startsWith("degraded: state: cannot write "), health.summary());
        assertTrue(health.summary().contains("No space left on device"), health.summary());
        assertEquals(List.of(record(1)), table.snapshot(), "the table itself is untouched");
        assertEquals(List.of(), store.load().mounts(), "the old state stays on disk");

        store.full = false; // no further change: the retry alone must bring it back
        Await.until(health::isHealthy, "healthy again");
        assertEquals(List.of(record(1)), store.load().mounts());
    }

    @Test
    void stopSavesWhatIsStillUnsaved() throws IOException {
        start(Duration.ofSeconds(30), Duration.ofSeconds(30));
        table.add(record(1));
        table.add(record(2));
        assertTrue(writer.stop(), "saved at stop, long before the coalescing window ends");
        assertEquals(List.of(record(1), record(2)), store.load().mounts());
        writer = null;
    }

    @Test
    void stopOnAFullDiskSaysTheStateIsNotUpToDate() {
        start(Duration.ofSeconds(30), Duration.ofSeconds(30));
        store.full = true;
        table.add(record(1));
        assertFalse(writer.stop());
        writer = null;
    }

    private StateStore.State safeLoad() {
        try {
            return store.load();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

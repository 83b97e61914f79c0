package io.mounter.table;

import io.mounter.observability.Health;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists the mount table behind the request path: a change only marks the state dirty
 * and wakes this writer's thread, which waits a moment for more changes and then saves
 * them all at once. Saving in the request (an fsync per mount, about a millisecond) would
 * cost several times the mount itself. A mount whose record is not saved yet when mounterd
 * dies is not lost: the next start adopts it from the host's mountinfo.
 *
 * <p>A failed save (a full disk) does not stop mounts: mounterd's health turns degraded with
 * the reason, and the save is retried until it succeeds, which makes it healthy again.
 */
final class StateWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateWriter.class);
    static final String COMPONENT = "state";
    static final Duration COALESCE = Duration.ofMillis(20);
    static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration STOP_WAIT = Duration.ofMillis(500);

    private final StateStore store;
    private final MountTable table;
    private final Health health;
    private final long starts;
    private final Duration coalesce;
    private final Duration retry;
    private final Object saving = new Object();
    private final Thread thread;
    private boolean dirty;
    private boolean closed;
    private String lastFailure;

    private StateWriter(StateStore store, MountTable table, Health health, long starts, Duration coalesce,
                        Duration retry) {
        this.store = store;
        this.table = table;
        this.health = health;
        this.starts = starts;
        this.coalesce = coalesce;
        this.retry = retry;
        this.thread = new Thread(this::run, "state-writer");
        thread.setDaemon(true);
    }

    /**
     * Saves the table once now, then starts the writer's thread.
     *
     * @param starts the start count saved with every state
     */
    static StateWriter start(StateStore store, MountTable table, Health health, long starts, Duration coalesce,
                             Duration retry) {
        StateWriter writer = new StateWriter(store, table, health, starts, coalesce, retry);
        writer.saveNow();
        writer.thread.start();
        return writer;
    }

    static StateWriter start(StateStore store, MountTable table, Health health, long starts) {
        return start(store, table, health, starts, COALESCE, RETRY);
    }

    /** The table changed. Quick and non-blocking: the table's listener calls it on any thread. */
    synchronized void changed() {
        if (!dirty) {
            // only the first change of a batch wakes the writer; later ones ride along
            dirty = true;
            notifyAll();
        }
    }

    /**
     * Saves the table now, on the calling thread. On failure the state stays dirty, health
     * is degraded with the reason and the failure is logged once (until it changes).
     *
     * @return whether the save succeeded
     */
    boolean saveNow() {
        synchronized (saving) {
            synchronized (this) {
                // cleared before the snapshot: a change after it marks the state dirty again
                dirty = false;
            }
            try {
                store.save(new StateStore.State(starts, table.snapshot(), table.commands()));
            } catch (IOException e) {
                synchronized (this) {
                    dirty = true;
                }
                failed("cannot write " + store.file() + ": " + reason(e) + "; mounts go on, the table is kept in memory");
                return false;
            }
            if (lastFailure != null) {
                log.atInfo().setMessage("state saved again").addKeyValue("op", "STATE")
                        .addKeyValue("file", store.file()).addKeyValue("after", lastFailure).log();
                lastFailure = null;
            }
            health.recover(COMPONENT);
            return true;
        }
    }

    private void failed(String reason) {
        health.degrade(COMPONENT, reason);
        if (!reason.equals(lastFailure)) {
            log.atWarn().setMessage("state not saved").addKeyValue("op", "STATE").addKeyValue("file", store.file())
                    .addKeyValue("error", reason).log();
        }
        lastFailure = reason;
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private void run() {
        while (true) {
            synchronized (this) {
                while (!dirty && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            pause(coalesce);
            if (!saveNow()) {
                pause(retry);
            }
        }
    }

    /** Waits {@code duration}, or less if the writer is closed meanwhile. */
    private synchronized void pause(Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        long left;
        while (!closed && (left = end - System.nanoTime()) > 0) {
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private synchronized boolean isDirty() {
        return dirty;
    }

    /**
     * Stops the thread and saves what is unsaved, on the calling thread (the shutdown hook):
     * bounded by one save, which fails fast on a full disk.
     *
     * @return whether the state on disk is up to date
     */
    boolean stop() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(STOP_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !isDirty() || saveNow();
    }

    @Override
    public void close() {
        stop();
    }
}

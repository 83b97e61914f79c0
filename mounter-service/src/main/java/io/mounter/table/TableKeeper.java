package io.mounter.table;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.MountInfo;
import io.mounter.observability.Health;
import io.mounter.observability.MountEvents;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.MountSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the mount table true across restarts and while the host changes (docs/operations.md):
 * at start it rebuilds the table from the state directory and the host's mountinfo
 * ({@link TableRebuild}), then persists every change behind the request path
 * ({@link StateWriter}) and watches the host ({@link MountWatcher}).
 */
public final class TableKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TableKeeper.class);
    /** The health component of an unreadable state file; it stays until the next start. */
    static final String STATE_FILE_COMPONENT = "state-file";

    private final StateWriter writer;
    private final MountWatcher watcher;
    private final long starts;

    private TableKeeper(StateWriter writer, MountWatcher watcher, long starts) {
        this.writer = writer;
        this.watcher = watcher;
        this.starts = starts;
    }

    static final String SERVED_OUTSIDE = "a saved record names a FUSE mount served from outside the mount container:"
            + " not mounterd's; left alone";

    /** What the keeper needs of mounterd. */
    /**
     * @param procRoot the mount container's procfs (mounterd's own)
     * @param hostProcRoot the node's procfs, where a FUSE mount served from outside the
     *     container shows its daemon; empty if unknown
     */
    public record Parts(Path stateDir, MountTable table, MountPolicy policy, MountExecutor executor,
                        Path procRoot, Optional<Path> hostProcRoot, Health health, MountEvents events, Clock clock,
                        Respawner respawner) {
    }

    /**
     * Rebuilds {@code parts.table()} (which must be empty), saves it with the start count
     * raised by one, reports the start, and starts the writer's and the watcher's threads.
     * Call before serving.
     *
     * @throws io.mounter.linux.SyscallException if the host's mountinfo cannot be opened or read
     */
    public static TableKeeper start(Parts parts) {
        StateStore store = new StateStore(parts.stateDir());
        StateStore.State saved = load(store, parts.health());
        MountInfoFile mountinfo = MountInfoFile.open(parts.executor());
        MountWatcher.Holders holders = new ProcHolders(parts.procRoot());
        int self = (int) ProcessHandle.current().pid();
        List<MountInfo.Entry> mounts = mountinfo.read();
        // saved commands count only from a state directory root alone may write (restoreCommands)
        TableRebuild.Result rebuilt = TableRebuild.rebuild(saved.mounts(), mounts, parts.policy(),
                servingDaemons(holders, self), servedOnTheNode(parts.hostProcRoot()),
                store.isPrivate() ? saved.commands() : Map.of(), parts.clock().millis());
        parts.table().addAll(rebuilt.table());
        restoreCommands(saved, store, parts.table());
        report(rebuilt, parts.events());

        long starts = saved.starts() + 1;
        StateWriter writer = StateWriter.start(store, parts.table(), parts.health(), starts);
        MountWatcher watcher = new MountWatcher(parts.table(), mountinfo, holders,
                (target, device) -> parts.executor().execute(new HostCommand.DetachIf(anywhere(target), device)),
                parts.respawner(), parts.events(), self, MountWatcher.RECHECK, MountWatcher.DAEMON_GRACE);
        parts.table().setListener(added -> {
            writer.changed();
            if (added != null && added.fuseConnection() >= 0) {
                watcher.wake(); // a new FUSE mount: find its daemon (removals need no hurry)
            }
        });
        watcher.start();
        parts.events().started(starts);
        log.atInfo().setMessage("table restored").addKeyValue("op", "START").addKeyValue("starts", starts)
                .addKeyValue("known", rebuilt.known().size()).addKeyValue("adopted", rebuilt.adopted().size())
                .addKeyValue("gone", rebuilt.gone().size() + rebuilt.foreign().size()).addKeyValue("state", store.file()).log();
        return new TableKeeper(writer, watcher, starts);
    }

    /**
     * The saved state, or an empty one when the file cannot be read: mounterd must come up
     * whatever the disk holds. An unreadable file is moved aside to mounts.json.bad for a
     * person to look at, and health stays degraded until the next start; the table is then
     * rebuilt from the host alone (requester pids and times are lost, no mount is).
     */
    private static StateStore.State load(StateStore store, Health health) {
        try {
            return store.load();
        } catch (IOException e) {
            String where;
            try {
                where = "kept as " + store.quarantine();
            } catch (IOException moveFailed) {
                where = "could not be moved aside: " + moveFailed.getMessage();
            }
            String reason = "state file " + store.file() + " unreadable (" + firstLine(e.getMessage()) + "), " + where
                    + "; table rebuilt from the host's mounts";
            log.atError().setMessage("state unreadable").addKeyValue("op", "START").addKeyValue("error", reason).log();
            health.degrade(STATE_FILE_COMPONENT, reason);
            return StateStore.State.EMPTY;
        }
    }

    /**
     * The saved daemon commands of the targets still in the table, to run again should their
     * daemons be dead: only from a state directory that root alone may write, since they run
     * as root.
     */
    private static void restoreCommands(StateStore.State saved, StateStore store, MountTable table) {
        if (saved.commands().isEmpty()) {
            return;
        }
        if (!store.isPrivate()) {
            log.atWarn().setMessage("saved commands ignored").addKeyValue("op", "START")
                    .addKeyValue("reason", "the state directory is not root's alone (owner root, no group or other"
                            + " write); a dead FUSE mount is then not brought back after a restart")
                    .addKeyValue("state", store.file()).log();
            return;
        }
        saved.commands().forEach(table::setCommand); // ignored for targets no longer in the table
    }

    /** Parsers explain over several lines; health and the log take the first. */
    private static String firstLine(String text) {
        if (text == null) {
            return "unknown";
        }
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    private static Map<Integer, Integer> servingDaemons(MountWatcher.Holders holders, int self) {
        Map<Integer, Integer> serving = new HashMap<>();
        holders.byConnection().forEach((connection, pids) -> pids.stream().filter(pid -> pid != self).findFirst()
                .ifPresent(pid -> serving.put(connection, pid)));
        return serving;
    }

    /**
     * Whether some process of the node holds a connection, from one scan of the node's /proc,
     * made only if asked (a saved FUSE mount that no one in the container serves).
     */
    private static IntPredicate servedOnTheNode(Optional<Path> hostProcRoot) {
        if (hostProcRoot.isEmpty()) {
            return connection -> false;
        }
        var scan = new Object() {
            Map<Integer, List<Integer>> holders;
        };
        return connection -> {
            if (scan.holders == null) {
                scan.holders = FuseDaemons.holders(hostProcRoot.get());
            }
            return scan.holders.containsKey(connection);
        };
    }

    private static void report(TableRebuild.Result rebuilt, MountEvents events) {
        for (MountRecord record : rebuilt.foreign()) {
            log.atWarn().setMessage("forgotten").addKeyValue("op", "START")
                    .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                    .addKeyValue("reason", SERVED_OUTSIDE).log();
        }
        for (MountRecord record : rebuilt.gone()) {
            log.atInfo().setMessage("forgotten").addKeyValue("op", "START")
                    .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                    .addKeyValue("reason", MountWatcher.UNMOUNTED_ON_HOST).log();
            events.staleMountCleaned(record.entry().target(), MountWatcher.UNMOUNTED_ON_HOST);
        }
        for (MountRecord record : rebuilt.adopted()) {
            log.atInfo().setMessage("adopted").addKeyValue("op", "START")
                    .addKeyValue("target", record.entry().target()).addKeyValue("fstype", record.entry().fstype())
                    .addKeyValue("source", MountSource.mask(record.entry().source()))
                    .addKeyValue("device", record.device()).log();
        }
    }

    /**
     * A recorded target as a path to resolve without following symlinks: the executor walks
     * the whole path with RESOLVE_NO_SYMLINKS, so any split is as safe, and a record stays
     * removable after its prefix left the policy.
     */
    private static ContainedPath anywhere(String target) {
        return new ContainedPath("/", ContainedPath.normalize(target).substring(1));
    }

    /** How often mounterd has started on this node, this start included. */
    public long starts() {
        return starts;
    }

    /**
     * Stops watching and saves what is unsaved (the shutdown hook): bounded by half a
     * second each for the watcher's and the writer's threads, and one save.
     *
     * @return whether the state on disk is up to date
     */
    public boolean stop() {
        watcher.close();
        return writer.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /** The mount container's processes, read from its procfs. */
    private record ProcHolders(Path procRoot) implements MountWatcher.Holders {
        @Override
        public Map<Integer, List<Integer>> byConnection() {
            return FuseDaemons.holders(procRoot);
        }

        @Override
        public boolean holds(int pid, int connection) {
            return FuseDaemons.holds(procRoot, pid, connection);
        }

        @Override
        public List<String> commandLine(int pid) {
            return FuseDaemons.rootCommandLine(procRoot, pid);
        }
    }
}

package io.mounter.server;

import io.mounter.linux.Errno;
import io.mounter.linux.FileStat;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AttachedDescriptor;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountOptions;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.MountSource;
import io.mounter.policy.Refusal;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.Operation;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Turns one received message into one encoded reply: decode, peer check, policy, the
 * mount itself, the record. Never throws for bad input; the caller closes the message's
 * descriptors afterwards, whatever happened.
 *
 * <p>Each request makes one log line with key/value pairs (op, target, fstype, source,
 * options, peer_pid, peer_uid, result, duration_us): refusals in the audit logger
 * {@code io.mounter.audit} with their reason, the rest in this class's logger (LIST and
 * STATUS at debug). Credentials in sources and options are masked first.
 */
public final class RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    private static final Logger audit = LoggerFactory.getLogger("io.mounter.audit");
    private static final int FUSE_MAJOR = 10;
    private static final int FUSE_MINOR = 229;

    static final Duration DEFAULT_HELPER_TIMEOUT = Duration.ofSeconds(60);
    static final Duration MAX_HELPER_TIMEOUT = Duration.ofMinutes(10);
    private static final int MNT_DETACH = 2;

    private final MountPolicy policy;
    private final Mounter mounter;
    private final MountTable table;
    private final Clock clock;
    private final HelperRunner helpers;
    private final DaemonLocator daemons;
    private final long startedAt;

    private volatile RequestObserver observer = RequestObserver.NONE;
    private volatile Health health = new Health();
    private volatile RequestGate gate = RequestGate.unbounded();

    public RequestHandler(MountPolicy policy, Mounter mounter, MountTable table, Clock clock, HelperRunner helpers,
                          DaemonLocator daemons) {
        this.policy = policy;
        this.mounter = mounter;
        this.table = table;
        this.clock = clock;
        this.helpers = helpers;
        this.daemons = daemons;
        this.startedAt = clock.millis();
    }

    /** Who sees each request's outcome (metrics); set before serving. */
    public void setObserver(RequestObserver observer) {
        this.observer = observer;
    }

    /** Whose summary STATUS reports; set before serving. */
    public void setHealth(Health health) {
        this.health = health;
    }

    /** The bound on requests handled at once (EAGAIN past it); set before serving. */
    public void setGate(RequestGate gate) {
        this.gate = gate;
    }

    /** Handles one request, counts it and logs it; returns the reply. */
    public byte[] handle(ReceivedMessage message, PeerCredentials peer) {
        Handled handled = process(message, peer);
        handled.log();
        return handled.reply();
    }

    /**
     * Handles one request and counts it in the metrics; the caller sends the reply, then
     * calls {@link Handled#log}. Encoding and writing the log line cost about half as much
     * as the mount itself, so they come after the client has its answer.
     */
    public Handled process(ReceivedMessage message, PeerCredentials peer) {
        long start = System.nanoTime();
        Outcome outcome = new Outcome();
        byte[] reply = gate.admit(message.payload(), () -> dispatch(message, peer, outcome));
        Handled handled = new Handled(reply, outcome, System.nanoTime() - start, peer);
        observer.observe(handled.operation, handled.status, handled.nanos);
        return handled;
    }

    /** A handled request: its reply, and what its log line needs. */
    public static final class Handled {
        private final byte[] reply;
        private final Outcome outcome;
        private final String operation;
        private final int status;
        private final long nanos;
        private final PeerCredentials peer;

        private Handled(byte[] reply, Outcome outcome, long nanos, PeerCredentials peer) {
            this.reply = reply;
            this.outcome = outcome;
            this.operation = operationName(reply);
            this.status = statusOf(reply);
            this.nanos = nanos;
            this.peer = peer;
        }

        public byte[] reply() {
            return reply;
        }

        /** Writes the request's log line (duration: receipt to reply). */
        public void log() {
            logRequest(outcome, operation, status, nanos, peer);
        }
    }

    /** What the log line of a request needs besides the reply. */
    private static final class Outcome {
        Request request;
        String refusal;
        String error;
        MountHelper.Result helper;
    }

    private static void logRequest(Outcome outcome, String operation, int status, long nanos, PeerCredentials peer) {
        boolean refused = outcome.refusal != null;
        boolean failed = status != 0 || outcome.helper != null
                && (outcome.helper.exitStatus() != 0 || outcome.helper.timedOut());
        Level level = failed ? Level.WARN
                : outcome.request instanceof Request.List || outcome.request instanceof Request.Status ? Level.DEBUG
                : Level.INFO;
        Logger logger = refused ? audit : log;
        if (!logger.isEnabledForLevel(level)) {
            return;
        }
        LoggingEventBuilder line = logger.atLevel(level).setMessage(refused ? "refused" : "request")
                .addKeyValue("op", operation);
        if (outcome.request instanceof Request.Mount mount) {
            line.addKeyValue("target", mount.target()).addKeyValue("fstype", mount.fstype())
                    .addKeyValue("source", MountSource.mask(mount.source()))
                    .addKeyValue("options", MountOptions.mask(mount.data()));
        } else if (outcome.request instanceof Request.RunMount run) {
            line.addKeyValue("target", run.target()).addKeyValue("fstype", run.fstype())
                    .addKeyValue("source", MountSource.mask(run.source()))
                    .addKeyValue("options", MountOptions.mask(run.options()));
        } else if (outcome.request instanceof Request.Umount umount) {
            line.addKeyValue("target", umount.target());
        }
        line.addKeyValue("peer_pid", peer.pid()).addKeyValue("peer_uid", peer.uid())
                .addKeyValue("result", status == 0 ? "ok" : Errno.name(status))
                .addKeyValue("duration_us", nanos / 1000);
        if (refused) {
            line.addKeyValue("reason", outcome.refusal);
        }
        if (outcome.error != null) {
            line.addKeyValue("error", outcome.error);
        }
        if (outcome.helper != null) {
            line.addKeyValue("exit", outcome.helper.exitStatus()).addKeyValue("timed_out", outcome.helper.timedOut());
        }
        line.log();
    }

    /** The reply's kind without the reply bit names the operation; 0 means undecodable. */
    private static String operationName(byte[] reply) {
        Operation op = Operation.of((reply[6] & 0xff | (reply[7] & 0xff) << 8) & ~Operation.REPLY_BIT);
        return op == null ? "MALFORMED" : op.name();
    }

    private static int statusOf(byte[] reply) {
        return reply[12] & 0xff | (reply[13] & 0xff) << 8 | (reply[14] & 0xff) << 16 | (reply[15] & 0xff) << 24;
    }

    private byte[] dispatch(ReceivedMessage message, PeerCredentials peer, Outcome outcome) {
        if (message.truncated()) {
            outcome.refusal = "request larger than " + Limits.MAX_REQUEST + " bytes";
            return MessageCodec.encodeReply(Reply.of(0, 0, Errno.EMSGSIZE, outcome.refusal));
        }
        Request request;
        try {
            request = MessageCodec.decodeRequest(message.payload());
        } catch (MalformedMessageException e) {
            outcome.refusal = e.getMessage();
            return MessageCodec.encodeReply(Reply.of(e.id(), e.kind(), e.errno(), e.getMessage()));
        }
        outcome.request = request;
        int kind = request.operation().code();
        try {
            policy.checkPeer(peer);
            if (request instanceof Request.Mount mount) {
                return mount(mount, message.descriptors(), message.descriptorsTruncated(), peer);
            }
            if (request instanceof Request.Umount umount) {
                return unmount(umount, message.descriptors(), peer);
            }
            requireNoDescriptors(message.descriptors());
            if (request instanceof Request.RunMount run) {
                return runHelper(run, outcome);
            }
            if (request instanceof Request.Status) {
                return MessageCodec.encodeReply(Reply.of(request.id(), kind, 0, status()));
            }
            return MessageCodec.encodeListReply(request.id(), listing(), ((Request.List) request).cursor());
        } catch (Refusal e) {
            outcome.refusal = e.getMessage();
            return MessageCodec.encodeReply(Reply.of(request.id(), kind, e.errno(), e.getMessage()));
        } catch (SyscallException e) {
            outcome.error = e.getMessage(); // SyscallException's arguments are free of secrets
            String text = request.operation().name().toLowerCase(java.util.Locale.ROOT) + " " + target(request) + ": "
                    + Errno.describe(e.errno());
            return MessageCodec.encodeReply(Reply.of(request.id(), kind, e.errno(), text));
        } catch (RuntimeException e) {
            // A bug or a resource failure (a helper that cannot start): still one defined reply.
            outcome.error = e.toString();
            log.atError().setMessage("internal error").addKeyValue("op", request.operation())
                    .addKeyValue("target", target(request)).addKeyValue("peer_pid", peer.pid()).setCause(e).log();
            return MessageCodec.encodeReply(Reply.of(request.id(), kind, Errno.EIO, "mounterd internal error: " + e));
        }
    }

    private byte[] mount(Request.Mount request, int[] fds, boolean fdsTruncated, PeerCredentials peer) {
        if (fds.length > 1 || fdsTruncated) {
            throw new Refusal(Errno.EINVAL, "at most one descriptor may come with a mount request");
        }
        AttachedDescriptor fd = fds.length == 1 ? new AttachedDescriptor(fds[0], isFuseDevice(fds[0])) : null;
        AuthorizedMount mount = policy.authorizeMount(request, fd);
        DeviceNumber device = mounter.mount(mount);
        String target = mount.target().full();
        table.add(new MountRecord(new MountEntry(mount.source(), target, mount.fstype(), peer.pid(), clock.millis(), 0),
                device));
        return MessageCodec.encodeReply(Reply.of(request.id(), request.operation().code(), 0, ""));
    }

    private byte[] unmount(Request.Umount request, int[] fds, PeerCredentials peer) {
        requireNoDescriptors(fds);
        ContainedPath target = policy.authorizeUnmount(request);
        // claimed first: the watcher must not report this unmount as one made on the host
        MountRecord record = table.claimNewest(target.full());
        try {
            mounter.unmount(target, request.flags());
        } catch (RuntimeException e) {
            table.release(record);
            throw e;
        }
        if (record != null) {
            table.remove(record);
        }
        return MessageCodec.encodeReply(Reply.of(request.id(), request.operation().code(), 0, ""));
    }

    /**
     * Runs mount(8) for the caller and waits. On timeout the helper's process group was
     * killed; a mount made for it meanwhile is detached and forgotten, so a hung helper
     * leaves nothing behind. Runs on a pinned worker; the helper itself starts on a host
     * thread, and its forwarded mount() is served by another worker meanwhile.
     */
    private byte[] runHelper(Request.RunMount request, Outcome outcome) {
        ContainedPath target = policy.authorizeHelperMount(request);
        Duration timeout = request.timeoutMillis() <= 0 ? DEFAULT_HELPER_TIMEOUT
                : Duration.ofMillis(Math.min(request.timeoutMillis(), MAX_HELPER_TIMEOUT.toMillis()));
        long started = clock.millis();
        MountHelper.Result result = helpers.run(
                MountHelper.argv(request.fstype(), request.options(), request.source(), target.full()), timeout);
        outcome.helper = result;
        if (!result.timedOut()) {
            return MessageCodec.encodeReply(Reply.ofHelper(request.id(), result.exitStatus(), result.output()));
        }
        int removed = detachMountsSince(target, started);
        return MessageCodec.encodeReply(new Reply(request.id(), request.operation().code() | Operation.REPLY_BIT,
                Errno.ETIMEDOUT, "mount helper killed after " + timeout.toMillis() + " ms; " + removed
                + " mount(s) made for it removed", java.util.List.of(), -1, -1, result.output()));
    }

    private int detachMountsSince(ContainedPath target, long since) {
        int removed = 0;
        for (MountRecord record : table.newestFirst(r -> r.entry().target().equals(target.full())
                && r.entry().createdAtMillis() >= since)) {
            try {
                mounter.unmount(target, MNT_DETACH);
            } catch (SyscallException | Refusal e) {
                log.atWarn().setMessage("cleanup failed").addKeyValue("op", "UMOUNT")
                        .addKeyValue("target", target.full()).addKeyValue("error", e.getMessage()).log();
            }
            table.remove(record);
            removed++;
        }
        return removed;
    }

    /** The table with each FUSE mount's daemon looked up now (daemons fork after mounting). */
    private java.util.List<MountEntry> listing() {
        java.util.List<MountRecord> records = table.snapshot();
        Map<Integer, Integer> daemonsByConnection = records.stream().anyMatch(r -> r.fuseConnection() >= 0)
                ? daemons.byConnection() : Map.of();
        return records.stream()
                .map(r -> r.entry().withDaemonPid(daemonsByConnection.getOrDefault(r.fuseConnection(), 0)))
                .toList();
    }

    private String status() {
        return health.summary() + ": " + table.size() + " mounts, up " + (clock.millis() - startedAt) / 1000
                + " s, mounter " + io.mounter.Version.current();
    }

    private static void requireNoDescriptors(int[] fds) {
        if (fds.length > 0) {
            throw new Refusal(Errno.EINVAL, "no descriptor belongs with this request");
        }
    }

    /** /dev/fuse is the character device 10:229; checked on the descriptor, not a path. */
    private static boolean isFuseDevice(int fd) {
        FileStat stat = Syscalls.fstat(fd);
        return stat.isCharacterDevice() && stat.rdevMajor() == FUSE_MAJOR && stat.rdevMinor() == FUSE_MINOR;
    }

    private static String target(Request request) {
        if (request instanceof Request.Mount mount) {
            return mount.target();
        }
        if (request instanceof Request.RunMount run) {
            return run.target();
        }
        return request instanceof Request.Umount umount ? umount.target() : "-";
    }
}

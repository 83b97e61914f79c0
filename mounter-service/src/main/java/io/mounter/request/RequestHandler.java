package io.mounter.request;

import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.Fuse;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.observability.Health;
import io.mounter.observability.RequestObserver;
import io.mounter.policy.AttachedDescriptor;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.MountSource;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path every door leads to: peer check, bound, policy, the host step on the
 * mount executor, the record. Takes a decoded request and returns a {@link Reply}; never
 * throws for bad input, and leaves the request's descriptors to the door that received them.
 * Runs on the door's own threads, in the mount container's namespaces; only the
 * {@link HostCommand}s run in the host's.
 */
public final class RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

    static final Duration DEFAULT_HELPER_TIMEOUT = Duration.ofSeconds(60);
    static final Duration MAX_HELPER_TIMEOUT = Duration.ofMinutes(10);

    private final MountPolicy policy;
    private final MountExecutor executor;
    private final MountTable table;
    private final Clock clock;
    private final HelperRunner helpers;
    private final DaemonLocator daemons;
    private final long startedAt;

    private volatile RequestObserver observer = RequestObserver.NONE;
    private volatile Health health = new Health();
    private volatile RequestGate gate = RequestGate.unbounded();
    private volatile DaemonNames daemonNames = DaemonNames.NONE;
    private volatile FuseConf fuseConf = FuseConf.system();
    private volatile RealUids realUids = pid -> java.util.OptionalInt.empty();

    public RequestHandler(MountPolicy policy, MountExecutor executor, MountTable table, Clock clock,
                          HelperRunner helpers, DaemonLocator daemons) {
        this.policy = policy;
        this.executor = executor;
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

    /** How a plain fuse mount's daemon is named (its program); set before serving. */
    public void setDaemonNames(DaemonNames daemonNames) {
        this.daemonNames = daemonNames;
    }

    /** Real uids of peers, from /proc (none known by default: every peer is taken at its word); set before serving. */
    public void setRealUids(RealUids realUids) {
        this.realUids = realUids;
    }

    /** Where users' mount_max is read (fusermount's /etc/fuse.conf); set before serving. */
    public void setFuseConf(FuseConf fuseConf) {
        this.fuseConf = fuseConf;
    }

    /**
     * Handles one request and counts it in the metrics. The caller sends the reply, then
     * calls {@link Handled#log}.
     */
    public Handled handle(Request request, Attachment attachment, PeerCredentials peer) {
        long start = System.nanoTime();
        Handled.Outcome outcome = new Handled.Outcome();
        PeerCredentials caller = whoReally(request, peer);
        Reply reply = gate.admit(request, () -> dispatch(request, attachment, caller, outcome));
        long nanos = System.nanoTime() - start;
        observer.observe(request.operation(), reply.status(), nanos);
        return new Handled(reply, request, outcome, nanos, caller);
    }

    /**
     * A FUSE mount from a root peer may come from a user, through a setuid stand-in: its real
     * uid decides whether mount_max holds. Read from /proc only for those requests.
     */
    private PeerCredentials whoReally(Request request, PeerCredentials peer) {
        if (request instanceof Request.Mount mount && Fuse.isFuseType(mount.fstype()) && peer.uid() == 0
                && peer.isRealRoot() && peer.pid() > 0) {
            return peer.withRealUid(realUids.realUid(peer.pid()).orElse(peer.uid()));
        }
        return peer;
    }

    /** A message the door could not decode: answered with the reason, counted and logged as refused. */
    public Handled malformed(MalformedMessageException e, PeerCredentials peer) {
        Handled.Outcome outcome = new Handled.Outcome();
        outcome.refusal = e.getMessage();
        Reply reply = Reply.malformed(e);
        observer.malformed(reply.status(), 0);
        return new Handled(reply, null, outcome, 0, peer);
    }

    private Reply dispatch(Request request, Attachment attachment, PeerCredentials peer, Handled.Outcome outcome) {
        try {
            policy.checkPeer(peer);
            if (!(request instanceof Request.Mount)) {
                requireNoDescriptors(attachment);
            }
            return request.accept(new Dispatch(attachment, peer, outcome));
        } catch (Refusal e) {
            outcome.refusal = e.getMessage();
            return Reply.to(request, e.errno(), e.getMessage());
        } catch (SyscallException e) {
            outcome.error = e.getMessage(); // SyscallException's arguments are free of secrets
            return Reply.to(request, e.errno(), request.operation().name().toLowerCase(Locale.ROOT) + " "
                    + target(request) + ": " + Errno.describe(e.errno()));
        } catch (RuntimeException e) {
            // A bug or a resource failure (a helper that cannot start): still one defined reply.
            outcome.error = e.toString();
            log.atError().setMessage("internal error").addKeyValue("op", request.operation())
                    .addKeyValue("target", target(request)).addKeyValue("peer_pid", peer.pid()).setCause(e).log();
            return Reply.to(request, Errno.EIO, "mounterd internal error: " + e);
        }
    }

    /** Each kind of request, once the peer may ask. */
    private final class Dispatch implements Request.Handler<Reply> {
        private final Attachment attachment;
        private final PeerCredentials peer;
        private final Handled.Outcome outcome;

        Dispatch(Attachment attachment, PeerCredentials peer, Handled.Outcome outcome) {
            this.attachment = attachment;
            this.peer = peer;
            this.outcome = outcome;
        }

        @Override
        public Reply mount(Request.Mount request) {
            return RequestHandler.this.mount(request, attachment, peer);
        }

        @Override
        public Reply umount(Request.Umount request) {
            return unmount(request);
        }

        @Override
        public Reply list(Request.List request) {
            return MessageCodec.listReply(request.id(), listing(), request.cursor());
        }

        @Override
        public Reply runMount(Request.RunMount request) {
            return runHelper(request, outcome);
        }

        @Override
        public Reply status(Request.Status request) {
            return Reply.to(request, 0, statusLine());
        }
    }

    private Reply mount(Request.Mount request, Attachment attachment, PeerCredentials peer) {
        int[] fds = attachment.descriptors();
        if (fds.length > 1 || attachment.truncated()) {
            throw new Refusal(Errno.EINVAL, "at most one descriptor may come with a mount request");
        }
        AttachedDescriptor fd = fds.length == 1
                ? new AttachedDescriptor(fds[0], Fuse.isDevice(Syscalls.fstat(fds[0]))) : null;
        AuthorizedMount mount = policy.authorizeMount(request, fd, () -> daemonNames.nameOf(peer.pid()));
        if (!peer.isRealRoot()) {
            checkUsersMountMax();
        }
        DeviceNumber device = executor.execute(new HostCommand.Mount(mount));
        table.add(new MountRecord(new MountEntry(mount.source(), mount.target().full(), mount.fstype(), peer.pid(),
                clock.millis(), 0), device));
        return Reply.ok(request);
    }

    /**
     * Threat: a user (through the setuid stand-in) mounting without end. fusermount's rule:
     * a user's mount is refused while there are mount_max FUSE mounts; here, those mounterd
     * made, which are every FUSE mount that landed from this container.
     */
    private void checkUsersMountMax() {
        int max = fuseConf.mountMax();
        int fuseMounts = table.newestFirst(record -> Fuse.isFuseType(record.entry().fstype())).size();
        if (fuseMounts >= max) {
            throw new Refusal(Errno.EPERM, "too many FUSE filesystems mounted; mount_max=" + max
                    + " can be set in /etc/fuse.conf");
        }
    }

    private Reply unmount(Request.Umount request) {
        ContainedPath target = policy.authorizeUnmount(request);
        // claimed first: the watcher must not report this unmount as one made on the host
        MountRecord record = table.claimNewest(target.full());
        if (record == null) {
            throw new Refusal(Errno.EPERM, "mounterd made no mount on " + target.full()
                    + ": it unmounts only its own");
        }
        try {
            executor.execute(new HostCommand.Unmount(target, request.flags(), record.device()));
        } catch (RuntimeException e) {
            table.release(record);
            throw e;
        }
        table.remove(record);
        return Reply.ok(request);
    }

    /**
     * Runs mount(8) for the caller and waits. On timeout the helper's process group was
     * killed; a mount made for it meanwhile is detached and forgotten, so a hung helper
     * leaves nothing behind. The helper's own forwarded mount() is served by another
     * connection meanwhile.
     */
    private Reply runHelper(Request.RunMount request, Handled.Outcome outcome) {
        ContainedPath target = policy.authorizeHelperMount(request);
        Duration timeout = request.timeoutMillis() <= 0 ? DEFAULT_HELPER_TIMEOUT
                : Duration.ofMillis(Math.min(request.timeoutMillis(), MAX_HELPER_TIMEOUT.toMillis()));
        long started = clock.millis();
        MountHelper.Result result = helpers.run(
                MountHelper.argv(request.fstype(), request.options(), request.source(), target.full()), timeout);
        outcome.helper = result;
        if (!result.timedOut()) {
            return Reply.ofHelper(request.id(), result.exitStatus(), result.output());
        }
        int removed = HelperLeftovers.remove(table, executor, target, started);
        return new Reply(request.id(), Operation.RUN_MOUNT.code() | Operation.REPLY_BIT, Errno.ETIMEDOUT,
                "mount helper killed after " + timeout.toMillis() + " ms; " + removed + " mount(s) made for it removed",
                List.of(), -1, -1, result.output());
    }

    /**
     * The table with each FUSE mount's daemon looked up now (daemons fork after mounting),
     * and each source's password masked: LIST is read by operators and their tools.
     */
    private List<MountEntry> listing() {
        List<MountRecord> records = table.withStates();
        Map<Integer, Integer> daemonsByConnection = records.stream().anyMatch(r -> r.fuseConnection() >= 0)
                ? daemons.byConnection() : Map.of();
        return records.stream()
                .map(r -> r.entry().withDaemonPid(daemonsByConnection.getOrDefault(r.fuseConnection(), 0))
                        .withSource(r.entry().source() == null ? null : MountSource.mask(r.entry().source())))
                .toList();
    }

    private String statusLine() {
        return health.summary() + ": " + table.size() + " mounts, up " + (clock.millis() - startedAt) / 1000
                + " s, mounter " + io.mounter.Version.current();
    }

    private static void requireNoDescriptors(Attachment attachment) {
        if (!attachment.isEmpty()) {
            throw new Refusal(Errno.EINVAL, "no descriptor belongs with this request");
        }
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

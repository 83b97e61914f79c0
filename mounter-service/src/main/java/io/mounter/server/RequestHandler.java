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

/**
 * Turns one received message into one encoded reply: decode, peer check, policy, the
 * mount itself, the record. Never throws for bad input; the caller closes the message's
 * descriptors afterwards, whatever happened.
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

    public byte[] handle(ReceivedMessage message, PeerCredentials peer) {
        long start = System.nanoTime();
        byte[] reply = dispatch(message, peer);
        observer.observe(operationName(reply), statusOf(reply), System.nanoTime() - start);
        return reply;
    }

    /** The reply's kind without the reply bit names the operation; 0 means undecodable. */
    private static String operationName(byte[] reply) {
        Operation op = Operation.of((reply[6] & 0xff | (reply[7] & 0xff) << 8) & ~Operation.REPLY_BIT);
        return op == null ? "MALFORMED" : op.name();
    }

    private static int statusOf(byte[] reply) {
        return reply[12] & 0xff | (reply[13] & 0xff) << 8 | (reply[14] & 0xff) << 16 | (reply[15] & 0xff) << 24;
    }

    private byte[] dispatch(ReceivedMessage message, PeerCredentials peer) {
        if (message.truncated()) {
            audit.warn("refused op=? peer_pid={} peer_uid={} errno={} reason=\"request larger than {} bytes\"",
                    peer.pid(), peer.uid(), Errno.EMSGSIZE, Limits.MAX_REQUEST);
            return MessageCodec.encodeReply(Reply.of(0, 0, Errno.EMSGSIZE,
                    "request larger than " + Limits.MAX_REQUEST + " bytes"));
        }
        Request request;
        try {
            request = MessageCodec.decodeRequest(message.payload());
        } catch (MalformedMessageException e) {
            audit.warn("refused op=? peer_pid={} peer_uid={} errno={} reason=\"{}\"",
                    peer.pid(), peer.uid(), e.errno(), e.getMessage());
            return MessageCodec.encodeReply(Reply.of(e.id(), e.kind(), e.errno(), e.getMessage()));
        }
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
                return runHelper(run, peer);
            }
            if (request instanceof Request.Status) {
                return MessageCodec.encodeReply(Reply.of(request.id(), kind, 0, status()));
            }
            return MessageCodec.encodeListReply(request.id(), listing(), ((Request.List) request).cursor());
        } catch (Refusal e) {
            audit.warn("refused op={} target={} peer_pid={} peer_uid={} errno={} reason=\"{}\"",
                    request.operation(), target(request), peer.pid(), peer.uid(), e.errno(), e.getMessage());
            return MessageCodec.encodeReply(Reply.of(request.id(), kind, e.errno(), e.getMessage()));
        } catch (SyscallException e) {
            log.warn("failed op={} target={} peer_pid={} errno={} error=\"{}\"",
                    request.operation(), target(request), peer.pid(), e.errno(), e.getMessage());
            String text = request.operation().name().toLowerCase(java.util.Locale.ROOT) + " " + target(request) + ": "
                    + Errno.describe(e.errno());
            return MessageCodec.encodeReply(Reply.of(request.id(), kind, e.errno(), text));
        } catch (RuntimeException e) {
            // A bug or a resource failure (a helper that cannot start): still one defined reply.
            log.error("internal error op={} target={} peer_pid={}", request.operation(), target(request), peer.pid(), e);
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
        log.info("mounted op=MOUNT target={} source={} fstype={} options={} peer_pid={} peer_uid={}",
                target, mount.source(), mount.fstype(), MountOptions.mask(mount.data()), peer.pid(), peer.uid());
        return MessageCodec.encodeReply(Reply.of(request.id(), request.operation().code(), 0, ""));
    }

    private byte[] unmount(Request.Umount request, int[] fds, PeerCredentials peer) {
        requireNoDescriptors(fds);
        ContainedPath target = policy.authorizeUnmount(request);
        mounter.unmount(target, request.flags());
        table.removeNewest(target.full());
        log.info("unmounted op=UMOUNT target={} peer_pid={} peer_uid={}", target.full(), peer.pid(), peer.uid());
        return MessageCodec.encodeReply(Reply.of(request.id(), request.operation().code(), 0, ""));
    }

    /**
     * Runs mount(8) for the caller and waits. On timeout the helper's process group was
     * killed; a mount made for it meanwhile is detached and forgotten, so a hung helper
     * leaves nothing behind. Runs on a pinned worker; the helper itself starts on a host
     * thread, and its forwarded mount() is served by another worker meanwhile.
     */
    private byte[] runHelper(Request.RunMount request, PeerCredentials peer) {
        ContainedPath target = policy.authorizeHelperMount(request);
        Duration timeout = request.timeoutMillis() <= 0 ? DEFAULT_HELPER_TIMEOUT
                : Duration.ofMillis(Math.min(request.timeoutMillis(), MAX_HELPER_TIMEOUT.toMillis()));
        long started = clock.millis();
        MountHelper.Result result = helpers.run(
                MountHelper.argv(request.fstype(), request.options(), request.source(), target.full()), timeout);
        log.info("helper op=RUN_MOUNT target={} fstype={} source={} options={} peer_pid={} exit={} timed_out={}",
                target.full(), request.fstype(), request.source(), MountOptions.mask(request.options()), peer.pid(),
                result.exitStatus(), result.timedOut());
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
                log.warn("cleanup op=UMOUNT target={} error=\"{}\"", target.full(), e.getMessage());
            }
            table.removeNewest(record.entry().target());
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

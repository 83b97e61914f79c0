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
import java.time.Clock;
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

    private final MountPolicy policy;
    private final Mounter mounter;
    private final MountTable table;
    private final Clock clock;

    public RequestHandler(MountPolicy policy, Mounter mounter, MountTable table, Clock clock) {
        this.policy = policy;
        this.mounter = mounter;
        this.table = table;
        this.clock = clock;
    }

    public byte[] handle(ReceivedMessage message, PeerCredentials peer) {
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
            return MessageCodec.encodeListReply(request.id(), table.snapshot(), ((Request.List) request).cursor());
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
        }
    }

    private byte[] mount(Request.Mount request, int[] fds, boolean fdsTruncated, PeerCredentials peer) {
        if (fds.length > 1 || fdsTruncated) {
            throw new Refusal(Errno.EINVAL, "at most one descriptor may come with a mount request");
        }
        AttachedDescriptor fd = fds.length == 1 ? new AttachedDescriptor(fds[0], isFuseDevice(fds[0])) : null;
        AuthorizedMount mount = policy.authorizeMount(request, fd);
        mounter.mount(mount);
        String target = mount.target().full();
        table.add(new MountEntry(mount.source(), target, mount.fstype(), peer.pid(), clock.millis()));
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
        return request instanceof Request.Umount umount ? umount.target() : "-";
    }
}

package io.mounter.request;

import io.mounter.linux.Errno;
import io.mounter.linux.PeerCredentials;
import io.mounter.policy.MountOptions;
import io.mounter.policy.MountSource;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * A handled request: its reply, and what its log line needs. The door sends the reply and
 * then calls {@link #log}: the client does not wait for the log line, which costs about
 * half as much as the mount itself.
 *
 * <p>One line per request with key/value pairs (op, target, fstype, source, options,
 * peer_pid, peer_uid, result, duration_us): refusals in the audit logger
 * {@code io.mounter.audit} with their reason, the rest in RequestHandler's logger (LIST
 * and STATUS at debug). Credentials in sources and options are masked first.
 */
public final class Handled {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    private static final Logger audit = LoggerFactory.getLogger("io.mounter.audit");

    private final Reply reply;
    private final Request request;
    private final Outcome outcome;
    private final long nanos;
    private final PeerCredentials peer;

    Handled(Reply reply, Request request, Outcome outcome, long nanos, PeerCredentials peer) {
        this.reply = reply;
        this.request = request;
        this.outcome = outcome;
        this.nanos = nanos;
        this.peer = peer;
    }

    public Reply reply() {
        return reply;
    }

    /** What a request's log line says besides the request and its reply. */
    static final class Outcome {
        String refusal;
        String error;
        MountHelper.Result helper;
    }

    /** Writes the request's log line (duration: receipt to reply). */
    public void log() {
        int status = reply.status();
        boolean refused = outcome.refusal != null;
        boolean failed = status != 0 || outcome.helper != null
                && (outcome.helper.exitStatus() != 0 || outcome.helper.timedOut());
        Level level = failed ? Level.WARN
                : request instanceof Request.List || request instanceof Request.Status ? Level.DEBUG
                : Level.INFO;
        Logger logger = refused ? audit : log;
        if (!logger.isEnabledForLevel(level)) {
            return;
        }
        LoggingEventBuilder line = logger.atLevel(level).setMessage(refused ? "refused" : "request")
                .addKeyValue("op", request == null ? "MALFORMED" : request.operation().name());
        if (request != null) {
            request.accept(new RequestFields(line));
        }
        line.addKeyValue("peer_pid", peer.pid()).addKeyValue("peer_uid", peer.uid());
        if (peer.realUid() != peer.uid()) {
            line.addKeyValue("real_uid", peer.realUid()); // a user, through a setuid stand-in
        }
        line.addKeyValue("result", status == 0 ? "ok" : Errno.name(status)).addKeyValue("duration_us", nanos / 1000);
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

    /** The fields of each kind of request that its log line shows, masked. */
    private record RequestFields(LoggingEventBuilder line) implements Request.Handler<Void> {
        @Override
        public Void mount(Request.Mount m) {
            mountFields(m.target(), m.fstype(), m.source(), m.data());
            return null;
        }

        @Override
        public Void runMount(Request.RunMount r) {
            mountFields(r.target(), r.fstype(), r.source(), r.options());
            return null;
        }

        @Override
        public Void umount(Request.Umount u) {
            line.addKeyValue("target", u.target());
            return null;
        }

        @Override
        public Void list(Request.List l) {
            return null;
        }

        @Override
        public Void status(Request.Status s) {
            return null;
        }

        private void mountFields(String target, String fstype, String source, String options) {
            line.addKeyValue("target", target).addKeyValue("fstype", fstype)
                    .addKeyValue("source", MountSource.mask(source)).addKeyValue("options", MountOptions.mask(options));
        }
    }
}

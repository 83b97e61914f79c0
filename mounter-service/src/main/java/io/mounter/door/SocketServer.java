package io.mounter.door;

import io.mounter.linux.Errno;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.PeerProcess;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import io.mounter.request.Handled;
import io.mounter.request.RequestHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket door: serves the listening socket with a fixed set of threads, each of which
 * accepts a connection and serves it itself: one request message in, one reply out, until
 * the peer hangs up. The kernel wakes one waiting accept() per connection. The workers are
 * ordinary threads of the mount container's namespaces (named {@code connection-N}); a
 * request's host step runs on the mount executor.
 */
public final class SocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    /**
     * A client that says nothing for this long loses its connection and its worker; the
     * same bound holds for sending a reply to a client that does not read it. Every client
     * sends its request as soon as it has connected (the shim and the stand-ins make one
     * connection per request). Threat: a user may stop (SIGSTOP) a setuid stand-in right after
     * it connected, and each such stand-in holds a worker this long.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);
    /** How long a client may say nothing before it is told apart by its real uid (see serve). */
    static final Duration QUICK = Duration.ofMillis(50);
    /** How long a connection past the users' share may take to show its request, to be told EAGAIN. */
    static final Duration OVER_SHARE_WAIT = Duration.ofMillis(100);

    private final SeqpacketSocket listener;
    private final RequestHandler handler;
    private final UserShare users;
    private final List<Thread> workers = new ArrayList<>();
    /** Each worker's connection while it serves one, so that close() can end idle ones. */
    private final AtomicReferenceArray<SeqpacketSocket> connections;
    private volatile boolean closing;

    public SocketServer(SeqpacketSocket listener, RequestHandler handler, int workerCount) {
        this(listener, handler, workerCount, new UserShare(new PeerProcess(Path.of("/proc")), Integer.MAX_VALUE));
    }

    /** With users' connections bounded by {@code users}; {@code workerCount} includes their share. */
    public SocketServer(SeqpacketSocket listener, RequestHandler handler, int workerCount, UserShare users) {
        this.listener = listener;
        this.handler = handler;
        this.users = users;
        this.connections = new AtomicReferenceArray<>(workerCount);
        for (int i = 0; i < workerCount; i++) {
            int index = i;
            Thread worker = new Thread(() -> acceptAndServe(index), "connection-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
    }

    /** Starts the workers. */
    public void start() {
        workers.forEach(Thread::start);
    }

    /** Waits until {@link #close()} has stopped every worker. */
    public void awaitTermination() {
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Waits at most {@code limit} for every worker to stop after {@link #close()}: each
     * finishes the request it is handling and sends the reply first.
     *
     * @return whether all stopped in time
     */
    public boolean awaitTermination(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (Thread worker : workers) {
            long left = deadline - System.nanoTime();
            try {
                worker.join(Math.max(1, left / 1_000_000));
                if (worker.isAlive()) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void acceptAndServe(int index) {
        while (!closing) {
            SeqpacketSocket connection;
            try {
                connection = listener.accept();
            } catch (SyscallException e) {
                if (!closing) {
                    log.warn("accept failed: {}", e.getMessage());
                }
                continue;
            }
            connections.set(index, connection);
            if (closing) {
                connection.shutdownInput(); // accepted as close() ran: serve what was sent, no more
            }
            try {
                serve(connection);
            } finally {
                connections.set(index, null);
            }
        }
    }

    /**
     * A client that sends at once (the shim, the stand-ins, mounterctl) is served at once. One
     * that has sent nothing after {@link #QUICK} may be a setuid stand-in a user stopped: only
     * then is it told apart by its real uid (a read of /proc, kept off the quick path), and a
     * user's waits only within the users' share.
     */
    private void serve(SeqpacketSocket connection) {
        try (connection) {
            PeerCredentials peer = connection.peerCredentials();
            connection.setTimeouts(IDLE_TIMEOUT);
            ReceivedMessage first = connection.receiveWithin(QUICK, Limits.MAX_REQUEST);
            if (first != null) {
                serveRequests(connection, peer, first);
                return;
            }
            int caller = users.callerUid(peer);
            if (!users.tryEnter(caller)) {
                refuseOverShare(connection, peer, caller);
                return;
            }
            try {
                connection.setTimeouts(IDLE_TIMEOUT.minus(QUICK));
                serveRequests(connection, peer.withRealUid(caller), null);
            } finally {
                users.leave(caller);
            }
        } catch (SyscallException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        }
    }

    /**
     * A user past the share gets EAGAIN if its request is there already (the stand-ins send
     * at once), and the connection closed either way: the worker is not held.
     */
    private void refuseOverShare(SeqpacketSocket connection, PeerCredentials peer, int caller) {
        log.atWarn().setMessage("connection refused: users hold their share of connections")
                .addKeyValue("peer_pid", peer.pid()).addKeyValue("real_uid", caller)
                .addKeyValue("share", users.limit()).log();
        connection.setTimeouts(OVER_SHARE_WAIT);
        ReceivedMessage message = connection.receive(Limits.MAX_REQUEST);
        try {
            Request request = MessageCodec.decodeRequest(message.payload(), message.truncated());
            connection.send(MessageCodec.encodeReply(Reply.to(request, Errno.EAGAIN, "mounterd is serving "
                    + users.limit() + " connections of users (not root) already; try again")), -1);
        } catch (MalformedMessageException e) {
            log.debug("over-share message did not decode: {}", e.getMessage());
        } finally {
            message.closeDescriptors();
        }
    }

    /** Serves {@code first} (if not null), then each request that follows, until the peer hangs up. */
    private void serveRequests(SeqpacketSocket connection, PeerCredentials peer, ReceivedMessage first) {
        ReceivedMessage next = first;
        while (!closing || next != null) {
            ReceivedMessage message = next != null ? next : connection.receive(Limits.MAX_REQUEST);
            next = null;
            if (message.isEndOfStream()) {
                return;
            }
            Handled handled;
            try {
                handled = MessageExchange.answer(handler, message, peer);
            } finally {
                message.closeDescriptors();
            }
            try {
                connection.send(MessageCodec.encodeReply(handled.reply()), -1);
            } finally {
                handled.log(); // after the reply: the client does not wait for the log line
            }
        }
    }

    /**
     * Stops accepting and ends idle connections; a request being handled is finished and
     * answered, a request already sent is still served, then each worker stops.
     */
    @Override
    public void close() {
        closing = true;
        listener.shutdown();
        for (int i = 0; i < connections.length(); i++) {
            SeqpacketSocket connection = connections.get(i);
            if (connection != null) {
                connection.shutdownInput();
            }
        }
    }
}

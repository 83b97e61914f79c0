package io.mounter.server;

import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.protocol.Limits;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on the listening socket and serves each on a worker thread: one
 * request message in, one reply out, until the peer hangs up. Workers are ordinary host
 * threads; the namespace work happens on the pinned threads behind {@link Mounter}.
 */
public final class SocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    /** A client that says nothing for this long loses its connection and its worker. */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private final SeqpacketSocket listener;
    private final RequestHandler handler;
    private final ThreadPoolExecutor workers;
    private volatile boolean closing;

    public SocketServer(SeqpacketSocket listener, RequestHandler handler, int maxConnections) {
        this.listener = listener;
        this.handler = handler;
        this.workers = new ThreadPoolExecutor(0, maxConnections, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> {
                    Thread thread = new Thread(runnable, "connection");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** Accepts until {@link #close()}; returns then. */
    public void serve() {
        while (!closing) {
            SeqpacketSocket connection;
            try {
                connection = listener.accept();
            } catch (SyscallException e) {
                if (closing) {
                    return;
                }
                log.warn("accept failed: {}", e.getMessage());
                continue;
            }
            try {
                workers.execute(() -> serve(connection));
            } catch (RejectedExecutionException e) {
                log.warn("too many connections; closing a new one");
                connection.close();
            }
        }
    }

    private void serve(SeqpacketSocket connection) {
        try (connection) {
            PeerCredentials peer = connection.peerCredentials();
            connection.setTimeouts(IDLE_TIMEOUT);
            while (!closing) {
                ReceivedMessage message = connection.receive(Limits.MAX_REQUEST);
                if (message.isEndOfStream()) {
                    return;
                }
                byte[] reply;
                try {
                    reply = handler.handle(message, peer);
                } finally {
                    message.closeDescriptors();
                }
                connection.send(reply, -1);
            }
        } catch (SyscallException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        }
    }

    @Override
    public void close() {
        closing = true;
        listener.shutdown();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.mounter.server;

import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.protocol.Limits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the listening socket with a fixed set of threads, each of which accepts a
 * connection and serves it itself: one request message in, one reply out, until the peer
 * hangs up. No hand-off between threads anywhere on a request's path, since each wake-up
 * costs about as much as the mount; the kernel wakes one waiting accept() per connection.
 * Each worker first runs the setup it is given (mounterd pins it in the host namespace).
 */
public final class SocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    /**
     * A client that says nothing for this long loses its connection and its worker; the
     * same bound holds for sending a reply to a client that does not read it.
     */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

    private final SeqpacketSocket listener;
    private final RequestHandler handler;
    private final List<Thread> workers = new ArrayList<>();
    /** Each worker's connection while it serves one, so that close() can end idle ones. */
    private final AtomicReferenceArray<SeqpacketSocket> connections;
    private final CountDownLatch workersReady;
    private final AtomicReference<RuntimeException> setupFailure = new AtomicReference<>();
    private volatile boolean closing;

    /**
     * @param workerSetup runs first on each worker thread; if it throws, {@link #start()}
     *     throws that
     */
    public SocketServer(SeqpacketSocket listener, RequestHandler handler, int workerCount, Runnable workerSetup) {
        this.listener = listener;
        this.handler = handler;
        this.workersReady = new CountDownLatch(workerCount);
        this.connections = new AtomicReferenceArray<>(workerCount);
        for (int i = 0; i < workerCount; i++) {
            int index = i;
            Thread worker = new Thread(() -> setUpAndServe(index, workerSetup), "connection-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
    }

    /**
     * Starts the workers and waits until each has run its setup.
     *
     * @throws RuntimeException the first setup failure; the server is then closed
     */
    public void start() {
        workers.forEach(Thread::start);
        try {
            workersReady.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while workers started", e);
        }
        if (setupFailure.get() != null) {
            close();
            throw setupFailure.get();
        }
    }

    private void setUpAndServe(int index, Runnable workerSetup) {
        try {
            workerSetup.run();
        } catch (RuntimeException e) {
            setupFailure.compareAndSet(null, e);
            return;
        } finally {
            workersReady.countDown();
        }
        acceptAndServe(index);
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

    private void serve(SeqpacketSocket connection) {
        try (connection) {
            PeerCredentials peer = connection.peerCredentials();
            connection.setTimeouts(IDLE_TIMEOUT);
            while (!closing) {
                ReceivedMessage message = connection.receive(Limits.MAX_REQUEST);
                if (message.isEndOfStream()) {
                    return;
                }
                RequestHandler.Handled handled;
                try {
                    handled = handler.process(message, peer);
                } finally {
                    message.closeDescriptors();
                }
                try {
                    connection.send(handled.reply(), -1);
                } finally {
                    handled.log(); // after the reply: the client does not wait for the log line
                }
            }
        } catch (SyscallException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("connection failed", e);
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

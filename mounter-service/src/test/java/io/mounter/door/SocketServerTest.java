package io.mounter.door;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.request.HelperRunner;
import io.mounter.request.MountHelper;
import io.mounter.executor.HostCommand;
import io.mounter.executor.MountExecutor;
import io.mounter.executor.NamespaceCommand;
import io.mounter.table.MountTable;
import io.mounter.request.RequestHandler;
import io.mounter.client.MounterClient;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Closing the server as SIGTERM does: requests in flight are answered, nothing new is taken. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SocketServerTest {
    @TempDir
    Path dir;

    private final CountDownLatch helperRunning = new CountDownLatch(1);
    private final CountDownLatch helperMayEnd = new CountDownLatch(1);
    /** A mount helper that runs until the test lets it end. */
    private final HelperRunner helper = (argv, timeout) -> {
        helperRunning.countDown();
        try {
            helperMayEnd.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new MountHelper.Result(0, false, "");
    };
    private String socket;
    private SeqpacketSocket listener;
    private SocketServer server;

    @BeforeEach
    void start() {
        socket = dir.resolve("mounter.sock").toString();
        listener = SeqpacketSocket.listen(socket, 0600, 16);
        MountPolicy policy = new MountPolicy(MountPolicy.DEFAULT_FSTYPES, MountPolicy.DEFAULT_PREFIXES, Set.of(0));
        MountExecutor noHostSteps = new MountExecutor() {
            @Override
            public <R> R execute(HostCommand<R> command) {
                throw new AssertionError("no host step in these tests: " + command);
            }

            @Override
            public <R> R executeIn(String namespacePath, NamespaceCommand<R> command) {
                throw new AssertionError("no namespace visit in these tests: " + command);
            }
        };
        RequestHandler handler = new RequestHandler(policy, noHostSteps, new MountTable(), Clock.systemUTC(),
                helper, Map::of);
        server = new SocketServer(listener, handler, 4);
        server.start();
    }

    @AfterEach
    void stop() {
        helperMayEnd.countDown();
        server.close();
        server.awaitTermination(Duration.ofSeconds(5));
        listener.close();
    }

    private MounterClient client() {
        return MounterClient.connect(socket, Duration.ofSeconds(10));
    }

    @Test
    void aRequestInFlightIsAnsweredAfterCloseAndIdleConnectionsEnd() throws Exception {
        MounterClient idle = client(); // connected, says nothing: holds a worker
        idle.list();
        CompletableFuture<Reply> slow = CompletableFuture.supplyAsync(() -> {
            try (MounterClient client = client()) {
                return client.call(new Request.RunMount(9, "src", "/var/lib/kubelet/pods/p/v", "fuse.sshfs", "", 0), -1);
            }
        });
        assertTrue(helperRunning.await(5, TimeUnit.SECONDS), "the slow request is in flight");

        server.close();
        assertThrows(SyscallException.class, () -> client().list(), "no new request is taken after close");
        assertEquals(false, server.awaitTermination(Duration.ofMillis(300)), "the request in flight holds its worker");

        helperMayEnd.countDown();
        Reply reply = slow.get(5, TimeUnit.SECONDS);
        assertEquals(0, reply.status(), reply.message());
        assertEquals(9, reply.id());
        assertTrue(server.awaitTermination(Duration.ofSeconds(5)),
                "every worker stopped, the one with an idle connection too (not after its 10 s timeout)");
        assertThrows(RuntimeException.class, idle::list, "the idle connection was ended");
        idle.close();
    }
}

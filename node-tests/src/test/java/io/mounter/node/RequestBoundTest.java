package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import io.mounter.request.RequestGate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Past --max-requests a request waits a moment for a free slot, then is answered EAGAIN, not
 * queued behind the request in flight; STATUS always answers.
 */
class RequestBoundTest extends OnMounterNode {

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--max-requests", "1", "--max-connections", "1", "--allow-fstype", "fuse.busy");
    }

    @Test
    void aRequestPastTheBoundIsAnsweredEagainAfterAShortWait() {
        GracefulStopTest.installHelper(node, "mount.fuse.busy", "#!/bin/sh\nsleep 3\n");
        Path target = node.node().newVolumeDir("busy");
        List<String> argv = List.of(node.dist().bin("mounterctl").toString(), "mount", "-t", "fuse.busy", "src",
                target.toString());
        CompletableFuture<CommandResult> busy = CompletableFuture.supplyAsync(
                () -> node.container().command(argv).withTimeout(Duration.ofSeconds(30)).exec());
        LiveMount.await(() -> node.container().processes().stream().anyMatch(p -> p.commandLine().equals("sleep 3")),
                Duration.ofSeconds(10), "the one permitted request is in flight " + node.container().processes() + node.mounterd().log() + (busy.isDone() ? busy.join().describe() : ""));

        try (MounterClient client = node.mounterd().client()) {
            long start = System.nanoTime();
            Reply list = client.call(new Request.List(client.nextId(), 0), -1);
            long micros = (System.nanoTime() - start) / 1000;
            assertEquals(Errno.EAGAIN, list.status(), list.message());
            assertTrue(list.message().contains("busy"), list.message());
            assertTrue(micros >= RequestGate.WAIT_FOR_PERMIT.toNanos() / 1000, "answered before the wait: " + micros + " us");
            assertTrue(micros < 1_000_000, "answered after the wait, not after the request in flight: " + micros + " us");
            Reply status = client.call(new Request.Status(client.nextId()), -1);
            assertEquals(0, status.status(), "STATUS (the liveness probe) passes the bound: " + status.message());
            System.out.println("EAGAIN past the bound after " + micros + " us");
        }
        assertEquals(0, busy.join().exitStatus(), busy.join().describe());
        try (MounterClient client = node.mounterd().client()) {
            assertEquals(0, client.call(new Request.List(client.nextId(), 0), -1).status(), "served again when free");
        }
    }
}

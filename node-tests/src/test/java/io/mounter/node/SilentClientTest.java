package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.protocol.Limits;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Threat: a user stops (SIGSTOP) setuid stand-ins right after they connect; each then holds a
 * connection worker while it says nothing. mounterd closes a connection that has sent no
 * request within 2 s, so a worker comes free again soon.
 */
class SilentClientTest extends OnMounterNode {
    /** mounterd's --max-connections default: as many silent clients as it has workers. */
    private static final int WORKERS = 16;

    @Test
    void aConnectionThatSendsNothingIsClosedWithinTwoSeconds() {
        String socket = node.mounterd().socketFromOutside().toString();
        List<SeqpacketSocket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < WORKERS; i++) {
                silent.add(SeqpacketSocket.connect(socket));
            }
            long start = System.nanoTime();
            for (SeqpacketSocket client : silent) {
                assertTrue(client.receive(Limits.MAX_REPLY).isEndOfStream(), "closed by mounterd, no reply");
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 3_500, "the silent clients held their workers " + millis + " ms");

            Reply status;
            try (MounterClient client = node.mounterd().client()) {
                status = client.call(new Request.Status(1), -1);
            }
            assertEquals(0, status.status(), status.toString());
            System.out.println("SilentClientTest: " + WORKERS + " silent connections closed after " + millis + " ms");
        } finally {
            silent.forEach(SeqpacketSocket::close);
        }
    }
}

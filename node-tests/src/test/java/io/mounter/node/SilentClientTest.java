package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.protocol.Limits;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Threat: a user stops (SIGSTOP) setuid stand-ins right after they connect; each then holds a
 * connection worker while it says nothing. mounterd closes a connection that has sent no
 * request within 2 s, and users (told by the peer's real uid) hold at most a quarter of
 * --max-connections, in workers kept for them, so STATUS and root's requests always find one.
 */
class SilentClientTest extends OnMounterNode {
    /** mounterd's --max-connections default: as many silent clients as it has workers for root. */
    private static final int WORKERS = 16;
    private static final int USER_SHARE = WORKERS / 4;
    /**
     * A silent client with the credentials of a setuid stand-in run by uid 65534 (real uid
     * 65534, effective 0): connects, sends nothing, and says how long until mounterd closed
     * the connection and when (epoch ms).
     */
    private static final String SILENT_USER = """
            use Socket; use Time::HiRes qw(time);
            socket(my $s, PF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!";
            connect($s, pack_sockaddr_un("%s")) or die "connect: $!";
            my $t0 = time; my $buf; recv($s, $buf, 4096, 0);
            printf "held_ms=%%d closed_at_ms=%%d\\n", (time - $t0) * 1000, time * 1000;
            """.formatted(Mounterd.SOCKET);
    private static final Pattern HELD = Pattern.compile("held_ms=(\\d+) closed_at_ms=(\\d+)");

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

            Reply status = ask(new Request.Status(1));
            assertEquals(0, status.status(), status.toString());
            System.out.println("SilentClientTest: " + WORKERS + " silent connections closed after " + millis + " ms");
        } finally {
            silent.forEach(SeqpacketSocket::close);
        }
    }

    /**
     * As many silent users as mounterd has workers for root: a quarter are held (until the
     * idle bound), the rest closed at once, and STATUS is answered while the held ones still
     * hold their workers.
     */
    @Test
    void usersHoldNoMoreThanTheirShareAndStatusIsAnsweredMeanwhile() throws IOException, InterruptedException {
        Path logs = node.node().newDirectory("silent-users");
        List<Process> users = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        int refusedBefore = refusals();
        long statusAnsweredAt;
        try {
            for (int i = 0; i < WORKERS; i++) {
                Path output = logs.resolve("user-" + i + ".log");
                outputs.add(output);
                users.add(node.container().start(List.of("setpriv", "--ruid=65534", "--euid=0", "--rgid=65534",
                        "--egid=0", "--clear-groups", "perl", "-e", SILENT_USER), Map.of(), output));
            }
            awaitRefusals(refusedBefore + WORKERS - USER_SHARE);
            Reply status = ask(new Request.Status(2));
            statusAnsweredAt = System.currentTimeMillis();
            assertEquals(0, status.status(), status.toString());
            for (Process user : users) {
                assertTrue(Processes.waitForExit(user.toHandle(), Duration.ofSeconds(10)), "a silent user ended");
            }
        } finally {
            users.forEach(user -> Processes.terminateTree(user.toHandle(), Duration.ofSeconds(2)));
        }
        List<long[]> held = new ArrayList<>();
        int closedAtOnce = 0;
        for (Path output : outputs) {
            Matcher m = HELD.matcher(Files.readString(output));
            assertTrue(m.find(), "a silent user's report: " + Files.readString(output));
            long heldMillis = Long.parseLong(m.group(1));
            if (heldMillis >= 1_000) {
                held.add(new long[] {heldMillis, Long.parseLong(m.group(2))});
            } else {
                closedAtOnce++;
            }
        }
        assertEquals(USER_SHARE, held.size(), "users hold their share of workers, no more");
        assertEquals(WORKERS - USER_SHARE, closedAtOnce);
        for (long[] h : held) {
            assertTrue(statusAnsweredAt < h[1], "STATUS was answered while the users' share was held");
        }
        assertEquals(refusedBefore + WORKERS - USER_SHARE, refusals(), "each refusal logged once");
        System.out.println("SilentClientTest: " + held.size() + " silent users held their workers, "
                + closedAtOnce + " closed at once; STATUS answered meanwhile");
    }

    private int refusals() {
        return (int) MounterdLog.of(node).all().stream()
                .filter(line -> line.get("message").startsWith("connection refused: users hold their share")).count();
    }

    private void awaitRefusals(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (refusals() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(count, refusals(), "refusals logged:\n" + node.mounterd().log());
    }
}

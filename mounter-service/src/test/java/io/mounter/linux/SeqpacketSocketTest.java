package io.mounter.linux;

import static java.nio.file.attribute.PosixFilePermission.GROUP_READ;
import static java.nio.file.attribute.PosixFilePermission.GROUP_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OWNER_READ;
import static java.nio.file.attribute.PosixFilePermission.OWNER_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SeqpacketSocketTest {
    @TempDir
    Path dir;

    private Path path;
    private SeqpacketSocket listener;

    @BeforeEach
    void listen() {
        path = dir.resolve("mounter.sock");
        listener = SeqpacketSocket.listen(path.toString(), 0600, 4);
    }

    @AfterEach
    void close() {
        listener.close();
    }

    @Test
    void aMessageArrivesWithItsDescriptorAsANewNumberForTheSameFile() {
        byte[] payload = "MNTR request".getBytes(StandardCharsets.US_ASCII);
        int devNull = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
        try (SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
             SeqpacketSocket server = listener.accept()) {
            client.send(payload, devNull);
            ReceivedMessage message = server.receive(1024);
            try {
                assertArrayEquals(payload, message.payload());
                assertFalse(message.truncated());
                assertFalse(message.descriptorsTruncated());
                assertEquals(1, message.descriptors().length, Arrays.toString(message.descriptors()));
                int received = message.descriptors()[0];
                assertNotEquals(devNull, received);
                FileStat sent = Syscalls.fstat(devNull);
                FileStat got = Syscalls.fstat(received);
                assertEquals(sent.device(), got.device());
                assertEquals(sent.inode(), got.inode());
            } finally {
                message.closeDescriptors();
            }
        } finally {
            Syscalls.close(devNull);
        }
    }

    @Test
    void aMessageWithoutDescriptorCarriesNone() {
        try (SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
             SeqpacketSocket server = listener.accept()) {
            client.send(new byte[] {1, 2, 3}, -1);
            ReceivedMessage message = server.receive(1024);
            assertArrayEquals(new byte[] {1, 2, 3}, message.payload());
            assertEquals(0, message.descriptors().length);
        }
    }

    @Test
    void peerCredentialsAreThoseOfTheConnectingProcess() throws IOException {
        try (SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
             SeqpacketSocket server = listener.accept()) {
            PeerCredentials peer = server.peerCredentials();
            assertEquals(ProcessHandle.current().pid(), peer.pid());
            // /proc/self belongs to the process's effective uid and gid.
            assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"), peer.uid());
            assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"), peer.gid());
        }
    }

    @Test
    void aMessageLargerThanTheBufferIsReportedTruncated() {
        byte[] big = new byte[2000];
        Arrays.fill(big, (byte) 'x');
        big[0] = 'M';
        try (SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
             SeqpacketSocket server = listener.accept()) {
            client.send(big, -1);
            ReceivedMessage message = server.receive(100);
            assertTrue(message.truncated());
            assertArrayEquals(Arrays.copyOf(big, 100), message.payload());
            assertFalse(message.isEndOfStream());
        }
    }

    @Test
    void aHangUpIsTheEndOfStream() {
        try (SeqpacketSocket server = connectAndAccept()) {
            ReceivedMessage message = server.receive(100);
            assertTrue(message.isEndOfStream());
        }
    }

    @Test
    void receiveWithinWaitsNoLongerThanAskedThenTakesWhatCame() {
        try (SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
             SeqpacketSocket server = listener.accept()) {
            server.setTimeouts(Duration.ofSeconds(5));
            long start = System.nanoTime();
            assertNull(server.receiveWithin(Duration.ofMillis(50), 100), "nothing was sent");
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 40 && waitedMs < 2000, "waited the 50 ms asked, not the 5 s timeout: " + waitedMs);
            client.send("queued".getBytes(StandardCharsets.US_ASCII), -1);
            assertArrayEquals("queued".getBytes(StandardCharsets.US_ASCII),
                    server.receiveWithin(Duration.ofMillis(50), 100).payload());
            client.close();
            assertTrue(server.receiveWithin(Duration.ofMillis(50), 100).isEndOfStream(), "a hang-up is still the end");
        }
    }

    private SeqpacketSocket connectAndAccept() {
        SeqpacketSocket client = SeqpacketSocket.connect(path.toString());
        SeqpacketSocket server = listener.accept();
        client.close();
        return server;
    }

    @Test
    void theSocketFileGetsTheModeAskedFor() throws IOException {
        assertEquals(Set.of(OWNER_READ, OWNER_WRITE), Files.getPosixFilePermissions(path));
        Path other = dir.resolve("group.sock");
        try (SeqpacketSocket groupShared = SeqpacketSocket.listen(other.toString(), 0660, 1)) {
            assertEquals(Set.of(OWNER_READ, OWNER_WRITE, GROUP_READ, GROUP_WRITE),
                    Files.getPosixFilePermissions(other));
        }
    }

    @Test
    void connectingWhereNothingListensFails() {
        SyscallException e = assertThrows(SyscallException.class,
                () -> SeqpacketSocket.connect(dir.resolve("absent.sock").toString()));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("connect", e.op());
    }

    @Test
    void aPathTooLongForSunPathIsRefused() {
        String longPath = dir.resolve("x".repeat(120)).toString();
        assertEquals(Errno.ENAMETOOLONG,
                assertThrows(SyscallException.class, () -> SeqpacketSocket.listen(longPath, 0600, 1)).errno());
    }

    @Test
    void shutdownWakesABlockedAccept() throws InterruptedException {
        CompletableFuture<SeqpacketSocket> accepted = CompletableFuture.supplyAsync(listener::accept);
        Thread.sleep(200);
        assertFalse(accepted.isDone(), "accept blocks while nobody connects");

        listener.shutdown();

        ExecutionException e = assertThrows(ExecutionException.class, () -> accepted.get(5, TimeUnit.SECONDS));
        SyscallException failure = assertInstanceOf(SyscallException.class, e.getCause());
        assertEquals("accept4", failure.op());
        assertEquals(Errno.EINVAL, failure.errno());
    }
}

package io.mounter.door;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketFileTest {
    @TempDir
    Path dir;

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    @Test
    void theSocketIsMadeWithMode0600InADirectoryOnlyItsOwnerWrites() throws IOException {
        Path socket = dir.resolve("run/mounter/mounter.sock");
        try (SeqpacketSocket listener = SocketFile.listen(socket, 0600)) {
            assertEquals(0600, mode(socket));
            assertEquals(0, mode(socket.getParent()) & 0022, "a directory mounterd makes is not group/other-writable");
        }
    }

    @Test
    void aDirectoryOthersOrTheGroupMayWriteIsRefusedSayingWhy() throws IOException {
        for (int bad : new int[] {0777, 0775, 01777, 0757}) {
            Path socketDir = Files.createDirectories(dir.resolve("d" + Integer.toOctalString(bad)));
            Syscalls.chmod(socketDir.toString(), bad);
            SocketFile.UnsafeSocketException e = assertThrows(SocketFile.UnsafeSocketException.class,
                    () -> SocketFile.listen(socketDir.resolve("mounter.sock"), 0600), Integer.toOctalString(bad));
            assertTrue(e.getMessage().contains("writable by group or others"), e.getMessage());
            assertTrue(e.getMessage().contains(socketDir.toString()), e.getMessage());
            assertFalse(Files.exists(socketDir.resolve("mounter.sock")), "no socket was made");
        }
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws IOException {
        Assumptions.assumeTrue(Syscalls.geteuid() == 0, "only root can give a directory away");
        Path socketDir = Files.createDirectories(dir.resolve("nobodys"));
        Files.setAttribute(socketDir, "unix:uid", 65534);
        SocketFile.UnsafeSocketException e = assertThrows(SocketFile.UnsafeSocketException.class,
                () -> SocketFile.listen(socketDir.resolve("mounter.sock"), 0600));
        assertTrue(e.getMessage().contains("belongs to uid 65534"), e.getMessage());
    }

    @Test
    void aSocketWithTheWrongModeIsFixed() throws IOException {
        Path socket = dir.resolve("mounter.sock");
        try (SeqpacketSocket listener = SeqpacketSocket.listen(socket.toString(), 0666, 4)) {
            assertEquals(0666, mode(socket));
            assertTrue(SocketFile.ensureMode(socket, 0600), "reported as fixed");
            assertEquals(0600, mode(socket));
            assertFalse(SocketFile.ensureMode(socket, 0600), "nothing to fix the second time");
        }
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneOfAnyTypeIsNot() throws Exception {
        Path stale = dir.resolve("stale.sock");
        SeqpacketSocket.listen(stale.toString(), 0600, 1).close(); // the file stays, no listener
        SocketFile.replaceStale(stale);
        assertFalse(Files.exists(stale, LinkOption.NOFOLLOW_LINKS), "a stale socket is removed");

        Path liveSeqpacket = dir.resolve("live-seqpacket.sock");
        try (SeqpacketSocket listener = SeqpacketSocket.listen(liveSeqpacket.toString(), 0600, 1)) {
            IOException e = assertThrows(IOException.class, () -> SocketFile.replaceStale(liveSeqpacket));
            assertTrue(e.getMessage().contains("listens"), e.getMessage());
        }

        // a stream listener answers a SEQPACKET connect with EPROTOTYPE: live all the same
        Path liveStream = dir.resolve("live-stream.sock");
        try (java.nio.channels.ServerSocketChannel listener =
                java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(liveStream));
            assertThrows(IOException.class, () -> SocketFile.replaceStale(liveStream));
            assertTrue(Files.exists(liveStream, LinkOption.NOFOLLOW_LINKS), "left alone");
        }

        Path regular = Files.writeString(dir.resolve("not-a-socket"), "data");
        IOException e = assertThrows(IOException.class, () -> SocketFile.replaceStale(regular));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("data", Files.readString(regular));
    }
}

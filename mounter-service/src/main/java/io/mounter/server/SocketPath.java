package io.mounter.server;

import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/** Creates the listening socket's file safely and removes it again. */
final class SocketPath {
    private SocketPath() {
    }

    /**
     * Listens at {@code path}. A stale socket left by a dead mounterd is replaced; a live
     * one, or anything that is not a socket, stops the start: mounterd never deletes a file
     * it did not make, nor steals another daemon's socket.
     */
    static SeqpacketSocket listen(Path path, int mode) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isOther()) {
                throw new IOException(path + " exists and is not a socket; refusing to replace it");
            }
            if (isLive(path)) {
                throw new IOException("another mounterd is listening on " + path);
            }
            Files.delete(path);
        }
        return SeqpacketSocket.listen(path.toString(), mode, 128);
    }

    private static boolean isLive(Path path) {
        try (SeqpacketSocket probe = SeqpacketSocket.connect(path.toString())) {
            return true;
        } catch (SyscallException e) {
            return false;
        }
    }

    static void remove(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

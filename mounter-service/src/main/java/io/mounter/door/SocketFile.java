package io.mounter.door;

import io.mounter.linux.Errno;
import io.mounter.linux.PrivateDirectory;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening unix socket's file: made safely, a stale one replaced, removed again. The one
 * place that decides whether a socket file may be replaced, for the mount socket and the
 * status endpoint's alike.
 */
public final class SocketFile {
    private static final Logger log = LoggerFactory.getLogger(SocketFile.class);
    private static final int PERMISSION_BITS = 07777;

    private SocketFile() {
    }

    /** The socket cannot be made safe: mounterd must not start. */
    static final class UnsafeSocketException extends IOException {
        UnsafeSocketException(String message) {
            super(message);
        }
    }

    /**
     * Listens at {@code path} with file mode {@code mode}. A stale socket left by a dead
     * mounterd is replaced; a live one, or anything that is not a socket, stops the start:
     * mounterd never deletes a file it did not make, nor steals another daemon's socket.
     *
     * <p>The directory is checked first and the socket's mode after: the mode is the gate,
     * and whoever can write the directory can remove the socket and put their own in its
     * place, which the shim and the fusermount stand-ins (root, setuid root) would then
     * send their /dev/fuse descriptors and requests to.
     *
     * @throws UnsafeSocketException if the directory is writable by group or others, or
     *     owned by another user, or the socket's mode cannot be set
     * @throws IOException if the path is taken or the directory cannot be made
     */
    public static SeqpacketSocket listen(Path path, int mode) throws IOException {
        Path directory = path.toAbsolutePath().getParent();
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        checkDirectory(directory);
        replaceStale(path);
        SeqpacketSocket listener = SeqpacketSocket.listen(path.toString(), mode, 128);
        try {
            ensureMode(path, mode);
        } catch (IOException | RuntimeException e) {
            listener.close();
            remove(path);
            throw e;
        }
        return listener;
    }

    /**
     * Refuses a socket directory that anyone but mounterd's own user may change: writable by
     * group or others (sticky or not), or owned by another user, who could chmod it.
     */
    public static void checkDirectory(Path directory) throws IOException {
        String problem = PrivateDirectory.problem(directory);
        if (problem != null) {
            throw new UnsafeSocketException("the socket directory " + directory + " " + problem
                    + ": whoever can write it can replace mounterd's socket with their own."
                    + " Make it mounterd's, 0755 or narrower (chmod go-w " + directory + ")");
        }
    }

    /**
     * Makes sure the socket has exactly {@code mode}: if not (a filesystem that ignored the
     * chmod after bind, someone quick), sets it again and logs a warning that says so.
     *
     * @return whether the mode had to be fixed
     * @throws UnsafeSocketException if it is still wrong after that
     */
    public static boolean ensureMode(Path socket, int mode) throws IOException {
        int found = mode(socket);
        if (found == mode) {
            return false;
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString(rwx(mode)));
        int fixed = mode(socket);
        if (fixed != mode) {
            throw new UnsafeSocketException("the socket " + socket + " has mode " + octal(fixed) + " and cannot be set to "
                    + octal(mode));
        }
        log.atWarn().setMessage("socket mode fixed").addKeyValue("socket", socket)
                .addKeyValue("found", octal(found)).addKeyValue("now", octal(mode))
                .addKeyValue("reason", "the socket was created with the wrong mode; set it again").log();
        return true;
    }

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & PERMISSION_BITS;
    }

    private static String octal(int mode) {
        return String.format("%04o", mode);
    }

    /** "rw-------" for 0600; setuid, setgid and sticky bits are never wanted here. */
    private static String rwx(int mode) {
        StringBuilder text = new StringBuilder();
        String letters = "rwx";
        for (int bit = 8; bit >= 0; bit--) {
            text.append((mode & (1 << bit)) != 0 ? letters.charAt((8 - bit) % 3) : '-');
        }
        return text.toString();
    }

    /**
     * Makes way for a new socket at {@code path}: nothing there is fine, a stale socket (its
     * listener gone) is deleted. A live socket, of whatever type, or anything that is not a
     * socket stops the start: mounterd never deletes a file it did not make, nor steals
     * another daemon's socket.
     *
     * @throws IOException naming what is in the way
     */
    public static void replaceStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isOther()) {
            throw new IOException(path + " exists and is not a socket; refusing to replace it");
        }
        if (isLive(path)) {
            throw new IOException("something listens on " + path + " already");
        }
        Files.delete(path);
    }

    /**
     * Whether anything listens on the socket: only ECONNREFUSED (or the file gone) says no
     * one does; a listener of another socket type answers EPROTOTYPE, and counts.
     */
    private static boolean isLive(Path path) {
        try (SeqpacketSocket probe = SeqpacketSocket.connect(path.toString())) {
            return true;
        } catch (SyscallException e) {
            return e.errno() != Errno.ECONNREFUSED && e.errno() != Errno.ENOENT;
        }
    }

    public static void remove(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

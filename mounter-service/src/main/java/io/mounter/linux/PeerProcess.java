package io.mounter.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What /proc says of a peer (the pid from SO_PEERCRED, in mounterd's PID namespace): its
 * real uid and parent, and the name of the program it runs. SO_PEERCRED gives the effective
 * uid, which is root for every caller of a setuid stand-in; the real uid says which user
 * ran it. The peer is blocked on its connection while this is read, so its pid is still
 * its own; a parent that has exited is replaced by the reaper (PID 1), never by a stranger.
 */
public final class PeerProcess {
    private final Path proc;

    public PeerProcess(Path proc) {
        this.proc = proc;
    }

    /** The real uid (first of the four on the {@code Uid:} line), empty if the process is gone. */
    public OptionalInt realUid(int pid) {
        return statusField(pid, "Uid:");
    }

    /** The parent's pid, empty if the process is gone. */
    public OptionalInt parentPid(int pid) {
        return statusField(pid, "PPid:");
    }

    /** The last component of the program's path (/proc/PID/exe), empty if unknown. */
    public Optional<String> programName(int pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            Path exe = Files.readSymbolicLink(proc.resolve(Integer.toString(pid)).resolve("exe"));
            Path name = exe.getFileName();
            // a program replaced on disk while it runs reads "/usr/bin/x (deleted)"
            return name == null ? Optional.empty() : Optional.of(name.toString().replaceFirst(" \\(deleted\\)$", ""));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /**
     * The first number after "\nKEY" in /proc/PID/status. Read on every connection, so by
     * bytes, without splitting the file into lines.
     */
    private OptionalInt statusField(int pid, String key) {
        if (pid <= 0) {
            return OptionalInt.empty();
        }
        byte[] status;
        try {
            status = Files.readAllBytes(proc.resolve(Integer.toString(pid)).resolve("status"));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
        int at = indexOf(status, ("\n" + key).getBytes(StandardCharsets.US_ASCII));
        if (at < 0) {
            return OptionalInt.empty();
        }
        int i = at + key.length() + 1;
        while (i < status.length && (status[i] == ' ' || status[i] == '\t')) {
            i++;
        }
        long value = 0;
        int digits = 0;
        for (; i < status.length && status[i] >= '0' && status[i] <= '9' && digits < 10; i++, digits++) {
            value = value * 10 + (status[i] - '0');
        }
        return digits == 0 || value > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) value);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

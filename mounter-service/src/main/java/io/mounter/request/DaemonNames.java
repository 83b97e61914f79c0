package io.mounter.request;

import io.mounter.linux.PeerProcess;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names the FUSE daemon behind a request after its program, for a mount asked as plain
 * {@code fuse} (no subtype): libfuse asks for that when its fuse.TYPE was refused (its
 * fusermount fallback drops the subtype), and libfuse 2 daemons such as bindfs give none.
 * The mount is then made, and judged, as fuse.PROGRAM. The peer is the daemon itself, or a
 * fusermount stand-in whose parent is the daemon.
 *
 * <p>A program's name is its path's last component, which whoever may run programs chooses:
 * this keeps a refused daemon from passing unnamed, not a renamed copy from passing.
 */
public interface DaemonNames {
    /** No name for anyone: plain fuse stays plain fuse (unit tests). */
    DaemonNames NONE = pid -> Optional.empty();

    /** Characters a name may have to become a subtype; others leave the mount unnamed. */
    Pattern SUBTYPE = Pattern.compile("[A-Za-z0-9_+.-]{1,64}");

    /** The daemon's program name for the peer {@code pid}, if it can be told. */
    Optional<String> nameOf(int pid);

    /** Read from /proc: the peer's program, or its parent's when the peer is a fusermount. */
    static DaemonNames of(PeerProcess processes) {
        return pid -> processes.programName(pid)
                .flatMap(name -> name.startsWith("fusermount")
                        ? processes.parentPid(pid).stream().boxed().findFirst().flatMap(processes::programName)
                        : Optional.of(name))
                .filter(name -> SUBTYPE.matcher(name).matches() && !name.startsWith("."));
    }
}

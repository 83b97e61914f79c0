package io.mounter.door;

import io.mounter.linux.PeerCredentials;
import io.mounter.linux.PeerProcess;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threat: a user in the mount container runs setuid stand-ins and stops each (SIGSTOP) right
 * after it connected; every one holds a connection worker until the idle bound. The peer
 * mounterd sees is root (SO_PEERCRED gives the effective uid), so users are told by the
 * peer's real uid, from /proc. Together, users hold at most {@link #limit()} connections, and
 * mounterd runs that many workers more than the rest needs, so root's requests and STATUS
 * (mounter-init's watchdog) always find one. Thread-safe; never blocks.
 */
public final class UserShare {
    private final PeerProcess processes;
    private final int limit;
    private final AtomicInteger held = new AtomicInteger();

    public UserShare(PeerProcess processes, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("users need at least one connection: " + limit);
        }
        this.processes = processes;
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    /**
     * Who the peer really is: its real uid when it is root by a setuid program, else the uid
     * SO_PEERCRED gave. A peer outside mounterd's PID namespace (pid 0: root on the node) is
     * taken at its word; one that is gone already has pid-less status, and counts as a user.
     */
    public int callerUid(PeerCredentials peer) {
        if (peer.uid() != 0 || peer.pid() == 0) {
            return peer.uid();
        }
        OptionalInt real = processes.realUid(peer.pid());
        return real.isPresent() ? real.getAsInt() : -1;
    }

    /** Takes a place for a connection of {@code callerUid}: always for root, within the share for users. */
    public boolean tryEnter(int callerUid) {
        if (callerUid == 0) {
            return true;
        }
        int now;
        do {
            now = held.get();
            if (now >= limit) {
                return false;
            }
        } while (!held.compareAndSet(now, now + 1));
        return true;
    }

    /** Gives back the place {@link #tryEnter} took. */
    public void leave(int callerUid) {
        if (callerUid != 0) {
            held.decrementAndGet();
        }
    }
}

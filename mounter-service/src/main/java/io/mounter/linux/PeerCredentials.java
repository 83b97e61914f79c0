package io.mounter.linux;

/** The peer of a unix socket as the kernel recorded it at connect time (SO_PEERCRED). */
public record PeerCredentials(int pid, int uid, int gid) {
}

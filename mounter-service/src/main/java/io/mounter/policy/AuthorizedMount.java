package io.mounter.policy;

/**
 * A mount the policy allowed, ready for the host namespace: flags with nosuid/nodev forced
 * for FUSE and options with {@code fd=} naming mounterd's own copy of the descriptor.
 */
public record AuthorizedMount(String source, ContainedPath target, String fstype, long flags,
                              String data) {
}

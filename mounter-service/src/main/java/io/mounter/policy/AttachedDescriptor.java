package io.mounter.policy;

/**
 * A descriptor that came with a request, as mounterd received it.
 *
 * @param localFd mounterd's own number for it
 * @param isFuseDevice it is the character device 10:229, /dev/fuse
 */
public record AttachedDescriptor(int localFd, boolean isFuseDevice) {
}

package io.mounter.linux;

/**
 * One SOCK_SEQPACKET message: its bytes and the descriptors that came with it. The
 * receiver owns the descriptors and must close them.
 *
 * @param truncated the message was larger than the buffer (MSG_TRUNC)
 * @param descriptorsTruncated more descriptors came than fit (MSG_CTRUNC); the kernel
 *     closed the ones that did not fit
 */
public record ReceivedMessage(byte[] payload, int[] descriptors, boolean truncated,
                              boolean descriptorsTruncated) {

    /** End of stream: the peer closed the connection. */
    public boolean isEndOfStream() {
        return payload.length == 0 && descriptors.length == 0 && !truncated;
    }

    public void closeDescriptors() {
        for (int fd : descriptors) {
            Syscalls.closeQuietly(fd);
        }
    }
}

package io.mounter.request;

/**
 * The descriptors that came with a request (SCM_RIGHTS), as mounterd received them. The
 * door that received them owns and closes them after the request was handled.
 *
 * @param truncated more came than fit (MSG_CTRUNC): the kernel closed the rest
 */
public record Attachment(int[] descriptors, boolean truncated) {
    /** No descriptor: every door but the socket's, and most of its messages. */
    public static final Attachment NONE = new Attachment(new int[0], false);

    boolean isEmpty() {
        return descriptors.length == 0 && !truncated;
    }
}

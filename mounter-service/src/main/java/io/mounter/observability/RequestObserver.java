package io.mounter.observability;

import io.mounter.protocol.Operation;

/**
 * Sees the outcome of every request, from whichever door it came: metrics hang off it.
 * Called on the thread that handled the request, before the reply goes out: implementations
 * must be quick and must not block.
 */
public interface RequestObserver {
    RequestObserver NONE = new RequestObserver() {
        @Override
        public void observe(Operation operation, int errno, long nanos) {
        }

        @Override
        public void malformed(int errno, long nanos) {
        }
    };

    /**
     * A request that was decoded.
     *
     * @param errno the reply's status, 0 for success
     * @param nanos time from receipt to reply
     */
    void observe(Operation operation, int errno, long nanos);

    /** A message that could not be decoded, answered with {@code errno}. */
    void malformed(int errno, long nanos);
}

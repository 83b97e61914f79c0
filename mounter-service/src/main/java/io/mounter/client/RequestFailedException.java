package io.mounter.client;

/** mounterd answered a request with a non-zero errno. */
public final class RequestFailedException extends RuntimeException {
    private final int errno;

    public RequestFailedException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}

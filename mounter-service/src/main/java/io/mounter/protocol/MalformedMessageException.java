package io.mounter.protocol;

/** A message that does not follow the protocol; {@link #errno()} is what the reply carries. */
public final class MalformedMessageException extends RuntimeException {
    private final int errno;
    private final int id;
    private final int kind;

    MalformedMessageException(int errno, String message, int id, int kind) {
        super(message, null, false, false);
        this.errno = errno;
        this.id = id;
        this.kind = kind;
    }

    public int errno() {
        return errno;
    }

    /** The request id, or 0 if the header could not be read. */
    public int id() {
        return id;
    }

    /** The kind field as received, or 0 if the header could not be read. */
    public int kind() {
        return kind;
    }
}

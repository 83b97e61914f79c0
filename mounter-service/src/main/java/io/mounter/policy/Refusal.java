package io.mounter.policy;

/** A request the policy turns down; {@link #errno()} is what the caller's mount() returns. */
public final class Refusal extends RuntimeException {
    private final int errno;

    public Refusal(int errno, String reason) {
        super(reason, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}

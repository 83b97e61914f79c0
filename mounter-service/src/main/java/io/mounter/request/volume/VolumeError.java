package io.mounter.request.volume;

/**
 * Why a volume operation failed, as a kind the CSI door turns into its gRPC code, and a
 * message that holds no secret.
 */
public final class VolumeError extends RuntimeException {
    /** The outcomes CSI names (spec.md, each RPC's error table). */
    public enum Kind {
        INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, ABORTED, UNAVAILABLE,
        INTERNAL
    }

    private final Kind kind;

    public VolumeError(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static VolumeError invalid(String message) {
        return new VolumeError(Kind.INVALID_ARGUMENT, message);
    }
}

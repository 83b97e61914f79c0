package io.mounter.protocol;

/** The operations of protocol version 1 (docs/protocol.md). */
public enum Operation {
    MOUNT(1), UMOUNT(2), LIST(3), RUN_MOUNT(4), STATUS(5);

    /** Set in the kind field of every reply. */
    public static final int REPLY_BIT = 0x8000;

    private final int code;

    Operation(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The operation with this code, or null if there is none. */
    public static Operation of(int code) {
        for (Operation op : values()) {
            if (op.code == code) {
                return op;
            }
        }
        return null;
    }
}

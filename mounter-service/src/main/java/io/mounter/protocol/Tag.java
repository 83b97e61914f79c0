package io.mounter.protocol;

/** Field tags and their size limits (docs/protocol.md). */
enum Tag {
    SOURCE(1, Limits.PATH_MAX),
    TARGET(2, Limits.PATH_MAX),
    FSTYPE(3, Limits.FSTYPE_MAX),
    MOUNT_FLAGS(4, 8),
    DATA(5, Limits.DATA_MAX),
    FD(6, 4),
    UMOUNT_FLAGS(7, 4),
    CURSOR(8, 4),
    MESSAGE(9, Limits.MESSAGE_MAX),
    ENTRY(10, Limits.MAX_REPLY),
    REQUESTER_PID(11, 4),
    DAEMON_PID(12, 4),
    CREATED_AT(13, 8),
    NEXT_CURSOR(14, 4),
    TIMEOUT_MS(16, 4),
    EXIT_STATUS(17, 4),
    OUTPUT(18, Limits.OUTPUT_MAX),
    STATE(19, 4),
    STATE_REASON(20, Limits.MESSAGE_MAX);

    final int code;
    final int maxLength;

    Tag(int code, int maxLength) {
        this.code = code;
        this.maxLength = maxLength;
    }

    static Tag of(int code) {
        for (Tag tag : values()) {
            if (tag.code == code) {
                return tag;
            }
        }
        return null;
    }
}

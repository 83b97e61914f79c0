package io.mounter.protocol;

import java.util.List;

/**
 * A reply: the errno status (0 = success), a short message, for LIST the entries and the
 * cursor of the next page (-1 when this page is the last), for RUN_MOUNT the helper's exit
 * status (-1 when it did not finish) and output.
 */
public record Reply(int id, int kind, int status, String message, List<MountEntry> entries,
                    int nextCursor, int exitStatus, String output) {

    public static Reply of(int id, int kind, int status, String message) {
        return new Reply(id, kind | Operation.REPLY_BIT, status, message, List.of(), -1, -1, "");
    }

    /** A RUN_MOUNT reply for a helper that ran to its end. */
    public static Reply ofHelper(int id, int exitStatus, String output) {
        return new Reply(id, Operation.RUN_MOUNT.code() | Operation.REPLY_BIT, 0,
                exitStatus == 0 ? "" : "mount helper exited with " + exitStatus, List.of(), -1, exitStatus, output);
    }

    public boolean succeeded() {
        return status == 0;
    }
}

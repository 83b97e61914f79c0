package io.mounter.protocol;

import java.util.List;

/**
 * A reply: the errno status (0 = success), a short message, for LIST the entries and the
 * cursor of the next page (-1 when this page is the last), for RUN_MOUNT the helper's exit
 * status (-1 when it did not finish) and output.
 */
public record Reply(int id, int kind, int status, String message, List<MountEntry> entries,
                    int nextCursor, int exitStatus, String output) {

    public Reply {
        entries = List.copyOf(entries);
    }

    /** A reply of {@code status} to a message whose header said {@code id} and {@code kind}. */
    public static Reply of(int id, int kind, int status, String message) {
        return new Reply(id, kind | Operation.REPLY_BIT, status, message, List.of(), -1, -1, "");
    }

    /** A reply of {@code status} to {@code request}. */
    public static Reply to(Request request, int status, String message) {
        return of(request.id(), request.operation().code(), status, message);
    }

    /** Success, nothing more to say. */
    public static Reply ok(Request request) {
        return to(request, 0, "");
    }

    /** The answer to a message that could not be decoded, echoing what of its header could be read. */
    public static Reply malformed(MalformedMessageException e) {
        return of(e.id(), e.kind(), e.errno(), e.getMessage());
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

package io.mounter.protocol;

import java.util.List;

/**
 * A reply: the errno status (0 = success), a short message, and for LIST the entries and
 * the cursor of the next page (-1 when this page is the last).
 */
public record Reply(int id, int kind, int status, String message, List<MountEntry> entries,
                    int nextCursor) {

    public static Reply of(int id, int kind, int status, String message) {
        return new Reply(id, kind | Operation.REPLY_BIT, status, message, List.of(), -1);
    }

    public boolean succeeded() {
        return status == 0;
    }
}

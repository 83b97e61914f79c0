package io.mounter.protocol;

/** One mount mounterd made, as LIST reports it. */
public record MountEntry(String source, String target, String fstype, int requesterPid,
                         long createdAtMillis) {
}

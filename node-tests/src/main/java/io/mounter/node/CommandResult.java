package io.mounter.node;

import java.time.Duration;
import java.util.List;

/** What one finished (or timed-out) command did. */
public record CommandResult(List<String> argv, int exitStatus, String stdout, String stderr,
                            boolean timedOut, Duration elapsed) {

    public CommandResult {
        argv = List.copyOf(argv);
    }

    /** Exit status 0 and no timeout. */
    public boolean succeeded() {
        return !timedOut && exitStatus == 0;
    }

    /** Returns this result, or throws {@link CommandFailedException} if it did not succeed. */
    public CommandResult requireSuccess() {
        if (!succeeded()) {
            throw new CommandFailedException(this);
        }
        return this;
    }

    /** One line for messages: the command, how it ended, and its stderr (or stdout if stderr is empty). */
    public String describe() {
        String ending = timedOut
                ? "timed out after " + elapsed.toMillis() + " ms"
                : "exited " + exitStatus + " after " + elapsed.toMillis() + " ms";
        String output = stderr.isBlank() ? stdout : stderr;
        return "`" + Command.render(argv) + "` " + ending
                + (output.isBlank() ? "" : ": " + output.strip());
    }
}

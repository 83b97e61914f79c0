package io.mounter.node;

/** A command exited non-zero or timed out; {@link #result()} has everything it printed. */
public final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient CommandResult result;

    public CommandFailedException(CommandResult result) {
        super(result.describe());
        this.result = result;
    }

    public CommandResult result() {
        return result;
    }
}

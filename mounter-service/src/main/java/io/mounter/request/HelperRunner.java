package io.mounter.request;

import java.time.Duration;
import java.util.List;

/** Runs a mount helper as a process in mounterd's own namespaces. */
public interface HelperRunner {
    /**
     * Runs {@code argv} and waits for it, at most {@code timeout}; on timeout its process
     * group is killed and the result says so. Never throws for the helper's own failure.
     *
     * @throws io.mounter.policy.Refusal EAGAIN when too many helpers run already
     */
    MountHelper.Result run(List<String> argv, Duration timeout);

    /**
     * As {@link #run(List, Duration)}, with {@code input}: bytes on the helper's stdin and
     * secret files it reads (never on its command line).
     */
    default MountHelper.Result run(List<String> argv, Duration timeout, HelperInput input) {
        if (input.stdin() != null || !input.files().isEmpty()) {
            throw new UnsupportedOperationException("this runner gives helpers no input");
        }
        return run(argv, timeout);
    }
}

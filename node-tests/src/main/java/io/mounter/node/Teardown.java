package io.mounter.node;

import java.util.ArrayList;
import java.util.List;

/** Runs every teardown step even when earlier ones fail, then reports all failures at once. */
public final class Teardown {
    public interface Step {
        void run() throws Exception;
    }

    private final List<Exception> failures = new ArrayList<>();

    public void step(String what, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failures.add(new IllegalStateException(what + ": " + e.getMessage(), e));
        }
    }

    /** Throws the first failure with the others suppressed, if there were any. */
    public void finish(String subject) {
        if (failures.isEmpty()) {
            return;
        }
        IllegalStateException summary = new IllegalStateException(
                "tearing down " + subject + " failed in " + failures.size() + " step(s); first: "
                        + failures.get(0).getMessage(), failures.get(0));
        failures.stream().skip(1).forEach(summary::addSuppressed);
        throw summary;
    }
}

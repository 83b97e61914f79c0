package io.mounter.node;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of every privileged test: skips (with the reason) when the machine lacks what a
 * simulated node needs. CI sets {@code -Dmounter.requirePrivileged=true} or
 * {@code MOUNTER_REQUIRE_PRIVILEGED=true}, and then a missing requirement fails the test
 * instead of skipping it, so privileged coverage cannot vanish silently.
 */
public final class Privileged {
    private static List<String> missing;

    private Privileged() {
    }

    public static synchronized void assume() {
        if (missing == null) {
            missing = NodeRequirements.missing();
        }
        if (missing.isEmpty()) {
            return;
        }
        String reason = "a simulated node cannot run here: " + String.join("; ", missing);
        if (required()) {
            fail(reason + " (and privileged tests are required)");
        }
        Assumptions.abort(reason);
    }

    private static boolean required() {
        return Boolean.parseBoolean(System.getProperty("mounter.requirePrivileged",
                System.getenv().getOrDefault("MOUNTER_REQUIRE_PRIVILEGED", "false")));
    }
}

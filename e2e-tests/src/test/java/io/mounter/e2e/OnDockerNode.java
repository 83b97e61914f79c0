package io.mounter.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the test classes whose tests share one {@link DockerNode}: built before the
 * first test of the class, torn down after the last, also on failure.
 *
 * <p>The gate is checked before each test, not in {@code @BeforeAll}: surefire reports a
 * class whose {@code @BeforeAll} aborts as 0 tests, 0 skipped, and `./run test`'s check for
 * skipped tests would never see it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OnDockerNode {
    protected DockerNode node;
    private RuntimeException startFailure;

    @BeforeEach
    void requireNode() {
        DockerEngine.assume();
        if (startFailure != null) {
            throw new IllegalStateException("the class's docker node did not start: " + startFailure.getMessage(),
                    startFailure);
        }
        if (node == null) {
            try {
                node = DockerNode.start(this::containerSpec);
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
    }

    /** The container's spec for this class's node: the static pod's, unless a class changes it. */
    protected MounterContainer.Spec containerSpec(MounterContainer.Spec spec) {
        return spec;
    }

    @AfterAll
    void stopNode() {
        if (node != null) {
            node.close();
        }
    }
}

package io.mounter.node;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of privileged test classes whose tests share one simulated node running mounterd:
 * built once per class (skipped where the machine cannot host it), torn down after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OnMounterNode {
    protected MounterNode node;

    /** Extra mounterd flags for this class. */
    protected List<String> mounterdArgs() {
        return List.of();
    }

    @BeforeAll
    void startNode() {
        Privileged.assume();
        node = MounterNode.start(mounterdArgs());
    }

    @AfterAll
    void stopNode() {
        if (node != null) {
            node.close();
        }
    }
}

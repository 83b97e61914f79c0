package io.mounter.node;

import io.mounter.client.MounterClient;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
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

    /**
     * Whether the container sees the host's later mounts below the kubelet directory, as the
     * static pod's HostToContainer volume does: attacks are run on that node as well.
     */
    protected boolean kubeletDirFollowsHost() {
        return false;
    }

    @BeforeAll
    void startNode() {
        Privileged.assume();
        node = MounterNode.start(mounterdArgs(), kubeletDirFollowsHost());
    }

    /** One request to the node's mounterd on a connection of its own, as the shim sends it. */
    protected Reply ask(Request request) {
        try (MounterClient client = node.mounterd().client()) {
            return client.call(request, -1);
        }
    }

    @AfterAll
    void stopNode() {
        if (node != null) {
            node.close();
        }
    }
}

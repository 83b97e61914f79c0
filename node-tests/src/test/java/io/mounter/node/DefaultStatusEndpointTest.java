package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Without --http-listen mounterd serves /healthz on 127.0.0.1:9477 of the network it runs
 * in: the node's, as with hostNetwork. Read from inside the container with bash's /dev/tcp.
 */
class DefaultStatusEndpointTest extends OnMounterNode {
    @Test
    void healthzAnswersOnLoopbackPort9477() {
        CommandResult result = node.container().run("bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/9477 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3");
        assertTrue(result.stdout().startsWith("HTTP/1.1 200 OK\r\n"), result.describe());
        assertTrue(result.stdout().endsWith("\r\n\r\nok\n"), result.describe());
    }

    @Test
    void nothingListensOnTheWildcardAddress() {
        // another local address of the node network: refused, since only 127.0.0.1 is bound
        CommandResult result = node.container().exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.2/9477");
        assertTrue(result.exitStatus() != 0, "127.0.0.2:9477 must refuse: " + result.describe());
    }
}

package io.mounter.node;

import java.util.ArrayList;
import java.util.List;

/**
 * A JVM that builds a node with FUSE mounts on both sides, prints
 * {@code READY <dir> <pid>...} (every process the node runs) and waits to be killed:
 * the subject of {@link JvmDeathTest}.
 */
public final class AbandonedNode {
    private AbandonedNode() {
    }

    public static void main(String[] args) throws InterruptedException {
        SimulatedNode node = SimulatedNode.start();
        MountContainer container = node.container();
        container.run("bindfs", node.newDirectory("container-src").toString(), node.newVolumeDir("c").toString());
        node.host().run("bindfs", node.newDirectory("host-src").toString(), node.newVolumeDir("h").toString());
        List<String> pids = new ArrayList<>();
        pids.add(Long.toString(node.network().holderPid()));
        Processes.inNamespace("mnt", node.host().mountNamespaceInode()).forEach(pid -> pids.add(pid.toString()));
        container.processes().forEach(process -> pids.add(Long.toString(process.pid())));
        System.out.println("READY " + node.directory() + " " + String.join(" ", pids));
        Thread.sleep(120_000);
    }
}

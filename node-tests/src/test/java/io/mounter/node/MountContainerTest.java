package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MountContainerTest {
    // deliberately absent: ld.so then names the file it read on stderr, proving it honours it
    private static final Path SHIM = Path.of("/nonexistent/mounter-test/libmounter-preload.so");
    private static final Path REAL_PRELOAD = Path.of("/etc/ld.so.preload");
    private static SimulatedNode node;

    @BeforeAll
    static void startNode() {
        Privileged.assume();
        assertFalse(Files.exists(REAL_PRELOAD), "the machine already has /etc/ld.so.preload; refusing to run");
        node = SimulatedNode.start(ContainerConfig.plain().withPreload(SHIM).withPreloadConfig("socket=/run/x\n"));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void preloadFileExistsOnlyInsideTheContainer() {
        MountContainer container = node.container();

        CommandResult cat = container.run("cat", "/etc/ld.so.preload");

        assertEquals(SHIM + "\n", cat.stdout());
        assertTrue(cat.stderr().contains("from /etc/ld.so.preload cannot be preloaded"), cat.stderr());
        assertEquals("socket=/run/x\n", container.run("cat", "/etc/mounter/preload.conf").stdout());
        assertFalse(Files.exists(REAL_PRELOAD), "the real /etc/ld.so.preload appeared");
        assertFalse(node.host().exec("test", "-e", "/etc/ld.so.preload").succeeded(), "the host sees a preload file");
        assertFalse(node.host().exec("true").stderr().contains("ld.so"), "the host's processes load the shim");
    }

    @Test
    void containerHasItsOwnRootAndPidNamespace() {
        MountContainer container = node.container();

        assertEquals("overlay", container.mountinfo().at(Path.of("/")).orElseThrow().fstype());
        assertNotEquals(Processes.pidNamespaceInode(ProcessHandle.current().pid()), container.pidNamespaceInode());
        assertTrue(hostViewOfStatus(container.initPid()).contains("NSpid:\t" + container.initPid() + "\t1\n"),
                "the init is PID 1 of its namespace");
        assertEquals(Processes.namespaceInode(node.network().holderPid(), "net"),
                Processes.namespaceInode(container.initPid(), "net"), "the container uses the node network");
    }

    private static String hostViewOfStatus(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void hostMountNamespaceIsReachableThroughHostProc() {
        long hostPid = node.host().pid();

        CommandResult link = node.container().run("readlink", "/host/proc/" + hostPid + "/ns/mnt");

        assertEquals("mnt:[" + node.host().mountNamespaceInode() + "]\n", link.stdout());
        node.container().run("test", "-r", "/host/proc/" + hostPid + "/ns/mnt");
    }

    @Test
    void containerMountsStayInTheContainer() {
        Path target = node.newVolumeDir("scratch");
        node.container().run("mount", "-t", "tmpfs", "container-only", target.toString());
        try {
            assertTrue(node.container().isMounted(target));
            assertFalse(node.host().isMounted(target), "propagated to the host");
            assertFalse(NamespaceMounts.ofSelf().isMounted(target), "propagated to the machine");
        } finally {
            node.container().run("umount", target.toString());
        }
    }

    @Test
    void orphansInTheContainerAreReaped() {
        MountContainer container = node.container();

        container.run("sh", "-c", "sleep 0.1 & sleep 0.1 & exit 0"); // both sleeps reparent to the init
        Processes.sleep(Duration.ofMillis(400));

        assertEquals(List.of(), Processes.zombiesIn(container.pidNamespaceInode()));
    }

    @Test
    void failedSetupReportsTheLogAndLeavesNothingRunning() {
        Path missingScratch = node.directory().resolve("no-such-dir/container");

        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> MountContainer.start(
                node.host(), node.network(), missingScratch, node.directory(), ContainerConfig.plain(),
                node.logDir().resolve("failing-container.log")));

        assertTrue(failure.getMessage().contains("mount point does not exist"), failure.getMessage());
        List<ProcessInfo> leftovers = Processes.all().stream().map(Processes::info).flatMap(java.util.Optional::stream)
                .filter(info -> info.commandLine().contains(missingScratch.toString())).toList();
        assertEquals(List.of(), leftovers);
    }
}

package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.node.CommandResult;
import io.mounter.node.Distribution;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The image apart from mounting: every process in it loads the shim from
 * /etc/ld.so.preload, so ordinary commands must run exactly as without it; and its
 * entrypoint installs kubelet-mounter and a default config onto the host, replacing the
 * program on every start but never an existing config.
 */
class ContainerImageTest extends OnDockerNode {
    private static final String SHIM = "/opt/mounter/lib/libmounter-preload.so";
    /** The prefix of every line the shim itself prints (on stderr). */
    private static final String SHIM_MESSAGE = "mounter-preload: ";

    @Test
    void theShimIsPreloadedIntoOrdinaryCommands() {
        assertEquals(SHIM + "\n", ran("cat", "/etc/ld.so.preload").stdout());
        // grep's own memory map: an ordinary process has the shim loaded
        assertTrue(Integer.parseInt(ran("grep", "-c", "libmounter-preload", "/proc/self/maps").stdout().strip()) > 0);
    }

    @Test
    void ordinaryCommandsRunUnaffectedByTheShim() {
        List<String> root = ran("ls", "/").stdout().lines().toList();
        assertTrue(root.containsAll(List.of("bin", "etc", "host", "opt", "proc", "usr")), root::toString);
        assertTrue(ran("apt-get", "--version").stdout().startsWith("apt "), "apt-get --version");
        assertTrue(ran("/opt/jre/bin/java", "-version").stderr().contains("version \"17"), "java -version");
        assertTrue(ran("mounterctl", "version").stdout().contains("0.1.0"), "mounterctl version");
        assertTrue(ran("mounterctl", "status").stdout().startsWith("ok: "), "mounterctl status");
    }

    /**
     * The image's fuse.conf: user_allow_other off, so a daemon run as a user cannot open its
     * filesystem to root and the pods; a user's allow_other is refused by the stand-in.
     */
    @Test
    void aUsersAllowOtherIsRefusedInTheImage() {
        assertTrue(ran("cat", "/etc/fuse.conf").stdout().lines().noneMatch(line -> line.strip().equals("user_allow_other")));
        ran("sh", "-c", "mkdir -p /tmp/user-fs/source /tmp/user-fs/target && chown -R 65534:65534 /tmp/user-fs");
        // /dev/fuse as a node's udev leaves it, 0666 (this machine's, bound in, is 0600): a
        // node of the container's own over it, in the container's namespace only
        ran("sh", "-c", "mknod -m 666 /run/user-fuse c 10 229 && mount --bind /run/user-fuse /dev/fuse");
        try {
            // bindfs as a user: its own mount(2) is refused, and libfuse runs the stand-in
            CommandResult result = node.container().exec("setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "bindfs", "-o", "allow_other", "/tmp/user-fs/source", "/tmp/user-fs/target");
            assertTrue(result.exitStatus() != 0, result::describe);
            assertTrue(result.stderr().contains("option allow_other only allowed if 'user_allow_other' is set"),
                    result::describe);
        } finally {
            ran("sh", "-c", "umount /dev/fuse && rm /run/user-fuse");
        }
    }

    /** {@code docker exec mounter ARGV}: must exit 0 without a word from the shim. */
    private CommandResult ran(String... argv) {
        CommandResult result = node.container().exec(argv);
        assertEquals(0, result.exitStatus(), result::describe);
        assertFalse(result.stderr().contains(SHIM_MESSAGE), result::describe);
        assertFalse(result.stdout().contains(SHIM_MESSAGE), result::describe);
        return result;
    }

    @Test
    void theEntrypointInstallsKubeletMounterEveryStartAndTheConfigOnce() throws IOException {
        Path program = node.installDir().resolve("kubelet-mounter");
        Path config = node.configDir().resolve("kubelet-mounter.conf");
        assertInstalled(program);
        String log = node.container().logs();
        assertTrue(log.contains("installed kubelet-mounter in " + DockerNode.INSTALL_DIR_IN_CONTAINER), log);
        List<String> written = Files.readAllLines(config);
        assertTrue(written.containsAll(List.of("--volume-mounter=container",
                "--mount-container=glusterfs:" + DockerNode.SELECTOR_LABEL + "=" + DockerNode.SELECTOR_VALUE
                        + ":" + DockerNode.CONTAINER_NAME)), written::toString);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        assertEquals(List.of("kubelet-mounter.conf"), names(node.configDir()), "no temporary files left");

        // the node's admin edits the config; an older kubelet-mounter is in place
        String edited = Files.readString(config) + "--timeout=30\n";
        Files.writeString(config, edited);
        Files.writeString(program, "#!/bin/sh\necho an older kubelet-mounter\n");
        node.restartContainer();

        assertInstalled(program);
        assertEquals(edited, Files.readString(config), "the config is not overwritten");
    }

    private static void assertInstalled(Path program) throws IOException {
        assertTrue(Files.isRegularFile(program), program + " is installed");
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(program)));
        assertArrayEquals(Files.readAllBytes(Distribution.locate().bin("kubelet-mounter")), Files.readAllBytes(program),
                "identical to dist/bin/kubelet-mounter");
        assertEquals(List.of("kubelet-mounter"), names(program.getParent()), "no temporary files left");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

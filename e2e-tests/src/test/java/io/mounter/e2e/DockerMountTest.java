package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.node.CommandResult;
import io.mounter.node.GlusterVolume;
import io.mounter.node.SshServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Mounts through the real image on a real Docker engine, by the three doors a node has:
 * {@code docker exec mounter mount ...} as the original proof of concept ran it,
 * kubelet-mounter's docker runtime as kubelet runs it, and {@code mounterctl mount}. Each
 * must land in the host namespace, be served from the container, and clean up after the
 * host unmounts ({@link ServedFromContainer}).
 */
class DockerMountTest extends OnDockerNode {
    private static final String SECRET = "hunter2";
    private static final String STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    @Test
    void glusterfsByDockerExecAsTheProofOfConceptRanIt() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("e2e-docker-exec");
        Path target = node.newVolumeDir("kubernetes.io~glusterfs/data");

        CommandResult mount = DockerEngine.docker("exec", DockerNode.CONTAINER_NAME,
                "mount", "-t", "glusterfs", volume.source(), target.toString()).exec();

        assertEquals(0, mount.exitStatus(), mount::describe);
        ServedFromContainer.check(node, target, "glusterfs", volume.brick());
    }

    /**
     * The real mount.glusterfs exits 0 when its forwarded mount was refused: the image's
     * guard around it makes mount(8) fail with 32 when nothing landed on the host.
     */
    @Test
    void aRefusedGlusterfsMountByDockerExecIsExit32() {
        GlusterVolume volume = node.gluster().createVolume("e2e-refused");
        Path outside = node.newDirectory("outside-the-prefixes");

        CommandResult mount = DockerEngine.docker("exec", DockerNode.CONTAINER_NAME,
                "mount", "-t", "glusterfs", volume.source(), outside.toString()).exec();

        assertEquals(32, mount.exitStatus(), mount::describe);
        assertTrue(mount.stderr().contains("mount.glusterfs: mount of glusterfs at " + outside
                + " reported success in the mount container, but no glusterfs mount is on " + outside
                + " in the host namespace"), mount::describe);
        assertFalse(node.host().isMounted(outside));
        assertFalse(node.container().isMounted(outside));
    }

    @Test
    void aSecondGlusterfsMountByDockerExecOntoAMountedTargetIsExit32() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("e2e-twice");
        Path target = node.newVolumeDir("kubernetes.io~glusterfs/data");
        DockerEngine.docker("exec", DockerNode.CONTAINER_NAME, "mount", "-t", "glusterfs", volume.source(),
                target.toString()).run();

        CommandResult again = DockerEngine.docker("exec", DockerNode.CONTAINER_NAME,
                "mount", "-t", "glusterfs", volume.source(), target.toString()).exec();

        assertEquals(32, again.exitStatus(), again::describe);
        assertTrue(again.stderr().contains("mount.glusterfs: " + target + " is already mounted"), again::describe);
        assertEquals(1, node.host().mountinfo().entries().stream()
                .filter(e -> e.mountPoint().equals(target.toString())).count(), "nothing stacked");
        ServedFromContainer.check(node, target, "glusterfs", volume.brick());
    }

    /** kubelet's door on the real image: a mount that did not land is exit 32, not a silent success. */
    @Test
    void aRefusedGlusterfsMountThroughKubeletMounterWithTheDockerRuntimeIsExit32() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("e2e-kubelet-refused");
        Path outside = node.newDirectory("kubelet-outside");

        CommandResult mount = kubeletMounter(volume.source(), outside);

        assertEquals(32, mount.exitStatus(), mount::describe);
        assertFalse(node.host().isMounted(outside));
    }

    /**
     * The kubelet-mounter the entrypoint installed on the host, run in the host namespace
     * with kubelet's argv; it finds the container by its label and name (no pod uid: the
     * container was started by hand, not by kubelet) and runs {@code docker exec ID mount}.
     */
    @Test
    void glusterfsThroughKubeletMounterWithTheDockerRuntime() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("e2e-kubelet-mounter");
        Path target = node.newVolumeDir("kubernetes.io~glusterfs/data");
        Path log = node.newDirectory("kubelet-mounter").resolve("kubelet-mounter.log");
        Path config = kubeletMounterConfig(log);
        CommandResult mount = kubeletMounter(config, volume.source(), target);

        assertEquals(0, mount.exitStatus(), mount::describe);
        String logged = Files.readString(log);
        assertTrue(logged.contains("op=mount fstype=glusterfs route=container runtime=docker selector=name="
                + DockerNode.SELECTOR_VALUE + " container=" + DockerNode.CONTAINER_NAME
                + " id=" + node.container().id().substring(0, 12) + " status=0"), logged);
        ServedFromContainer.check(node, target, "glusterfs", volume.brick());
    }

    /**
     * Options holding a credential reach the container on stdin: the engine keeps each
     * exec's command line (its exec_create event says it to anyone who may read events), and
     * it must not hold the password.
     */
    @Test
    void aCredentialOptionReachesTheContainerOnStdinNotInTheExecsCommandLine() throws IOException {
        GlusterVolume volume = node.gluster().createVolume("e2e-credential-option");
        Path target = node.newVolumeDir("kubernetes.io~glusterfs/credential");
        Path log = node.newDirectory("kubelet-mounter").resolve("kubelet-mounter.log");
        long since = System.currentTimeMillis() / 1000 - 1;
        CommandResult mount = kubeletMounter(kubeletMounterConfig(log), "x-password=" + SECRET + ",log-level=WARNING",
                volume.source(), target);

        assertEquals(0, mount.exitStatus(), mount::describe);
        ServedFromContainer.check(node, target, "glusterfs", volume.brick());
        CommandResult events = node.host().command(List.of("docker", "events", "--since", Long.toString(since),
                        "--until", Long.toString(System.currentTimeMillis() / 1000 + 1), "--filter", "event=exec_create",
                        "--format", "{{.Action}}"))
                .withEnvironment(Map.of("PATH", STANDARD_PATH, "DOCKER_HOST", System.getenv("DOCKER_HOST")))
                .withTimeout(Duration.ofSeconds(30)).exec();
        assertEquals(0, events.exitStatus(), events::describe);
        assertTrue(events.stdout().contains("exec_create: sh -c"), "the exec's command line: " + events.stdout());
        assertFalse(events.stdout().contains(SECRET), "the engine keeps no password: " + events.stdout());
        assertFalse(Files.readString(log).contains(SECRET), Files.readString(log));
    }

    /** kubelet-mounter's config routing glusterfs to the container through the docker CLI, logging to {@code log}. */
    private Path kubeletMounterConfig(Path log) throws IOException {
        return Files.write(log.resolveSibling("kubelet-mounter.conf"), List.of(
                "--volume-mounter=container",
                "--mount-container=glusterfs:" + DockerNode.SELECTOR_LABEL + "=" + DockerNode.SELECTOR_VALUE
                        + ":" + DockerNode.CONTAINER_NAME,
                "--runtime=docker",
                "--log-file=" + log));
    }

    private CommandResult kubeletMounter(String source, Path target) throws IOException {
        return kubeletMounter(kubeletMounterConfig(node.newDirectory("kubelet-mounter").resolve("kubelet-mounter.log")),
                source, target);
    }

    private CommandResult kubeletMounter(Path config, String source, Path target) {
        return kubeletMounter(config, "log-level=WARNING", source, target);
    }

    /** The kubelet-mounter the entrypoint installed, run in the host namespace with kubelet's argv. */
    private CommandResult kubeletMounter(Path config, String options, String source, Path target) {
        return node.host().command(List.of(node.installDir().resolve("kubelet-mounter").toString(),
                        "mount", "-t", "glusterfs", "-o", options, source, target.toString()))
                .withEnvironment(Map.of(
                        "PATH", STANDARD_PATH,
                        "DOCKER_HOST", System.getenv("DOCKER_HOST"),
                        "KUBELET_MOUNTER_CONFIG", config.toString()))
                .withTimeout(Duration.ofSeconds(60))
                .exec();
    }

    /** The client key is read inside the container: the scratch directory is bound there at the same path. */
    @Test
    void sshfsByMounterctlInTheContainer() throws IOException {
        SshServer ssh = node.ssh();
        Path target = node.newVolumeDir("sshfs");

        CommandResult mount = node.container().exec("mounterctl", "mount", "-t", "fuse.sshfs",
                "-o", ssh.sshfsOptions(), ssh.source(), target.toString());

        assertEquals(0, mount.exitStatus(), mount::describe);
        // sshfs runs as /sbin/mount.fuse.sshfs (a link to sshfs); comm keeps 15 characters
        ServedFromContainer.check(node, target, "mount.fuse.sshf", ssh.exportDir());
    }
}

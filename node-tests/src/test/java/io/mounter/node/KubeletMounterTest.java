package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * dist/bin/kubelet-mounter run on the simulated node's host, as kubelet runs it, with the
 * nsenter runtime pointed at the mount container's init: a routed glusterfs mount goes
 * through mount(8) in the container, the shim and mounterd, and lands in the host
 * namespace with its daemon in the container; an unrouted fstype goes to the host's own
 * mount.
 *
 * <p>The config file is passed in KUBELET_MOUNTER_CONFIG, since the real default,
 * /etc/mounter/kubelet-mounter.conf, must not be written here. That is also how it reaches
 * the program under kubelet's `systemd-run --scope` wrapping: a scope's command is run by
 * systemd-run itself and inherits the caller's environment (systemd-run(1)).
 */
class KubeletMounterTest extends OnMounterNode {
    private static final String STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final String SECRET = "hunter2";

    /** A config file and log of their own for one test. */
    private record Setup(Path config, Path logFile, Path dir) {
        String log() {
            try {
                return Files.exists(logFile) ? Files.readString(logFile) : "";
            } catch (IOException e) {
                throw new AssertionError("cannot read " + logFile, e);
            }
        }
    }

    private Setup configure(String... lines) throws IOException {
        Path dir = node.node().newDirectory("kubelet-mounter");
        Path log = dir.resolve("kubelet-mounter.log");
        List<String> all = new ArrayList<>(List.of(lines));
        all.add("--log-file=" + log);
        Path config = Files.write(dir.resolve("kubelet-mounter.conf"), all);
        return new Setup(config, log, dir);
    }

    private Setup routeGlusterfsToTheContainer() throws IOException {
        return configure("# the mount container's init, as the host sees it",
                "--mount-container=glusterfs:pid=" + node.container().initPid() + ":mounter",
                "--runtime=nsenter");
    }

    private Path kubeletMounter() {
        return node.dist().bin("kubelet-mounter");
    }

    /** argv run on the host with a clean environment: PATH (plus {@code extraPath} first) and the config. */
    private CommandResult onHost(Setup setup, String extraPath, List<String> argv) {
        return node.host().command(argv)
                .withEnvironment(Map.of(
                        "PATH", extraPath.isEmpty() ? STANDARD_PATH : extraPath + ":" + STANDARD_PATH,
                        "KUBELET_MOUNTER_CONFIG", setup.config().toString()))
                .withTimeout(Duration.ofSeconds(60))
                .exec();
    }

    private CommandResult kubeletMounter(Setup setup, String... args) {
        List<String> argv = new ArrayList<>(List.of(kubeletMounter().toString()));
        argv.addAll(List.of(args));
        return onHost(setup, "", argv);
    }

    private static void assertExit(int expected, CommandResult result) {
        assertEquals(expected, result.exitStatus(), result::describe);
    }

    @Test
    void routedGlusterfsWithOptionsLandsOnTheHostServedFromTheContainer() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-options");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        assertExit(0, kubeletMounter(setup, "mount", "-t", "glusterfs", "-o", "log-level=WARNING",
                volume.source(), target.toString()));

        ServedMount.check(node, target, "glusterfs", volume.brick());
        assertTrue(setup.log().contains("op=mount fstype=glusterfs route=container runtime=nsenter selector=pid="
                + node.container().initPid() + " container=mounter"), setup.log());
        assertTrue(setup.log().contains("status=0"), setup.log());
    }

    @Test
    void routedGlusterfsWithoutOptions() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-plain");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        assertExit(0, kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), target.toString()));

        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void throughKubeletsSystemdRunWrapping() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-systemd");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");
        // a stand-in for systemd-run --scope (there is no systemd here): checks the wrapping
        // mount-utils' AddSystemdScopeSensitive builds, drops it and runs the rest
        Path bin = Files.createDirectory(setup.dir().resolve("bin"));
        Path used = setup.dir().resolve("systemd-run-used");
        Path systemdRun = Files.writeString(bin.resolve("systemd-run"), """
                #!/bin/sh
                case $1 in --description=*) shift ;; *) echo "systemd-run: no --description: $1" >&2; exit 2 ;; esac
                [ "$1" = --scope ] && [ "$2" = -- ] || { echo "systemd-run: no --scope --" >&2; exit 2; }
                shift 2
                : >"%s"
                exec "$@"
                """.formatted(used));
        assertTrue(systemdRun.toFile().setExecutable(true));

        CommandResult result = onHost(setup, bin.toString(), List.of("systemd-run",
                "--description=Kubernetes transient mount for " + target, "--scope", "--",
                kubeletMounter().toString(), "mount", "-t", "glusterfs", "-o", "log-level=WARNING",
                volume.source(), target.toString()));

        assertExit(0, result);
        assertTrue(Files.exists(used), "ran through the systemd-run stand-in");
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void aCredentialOptionMountsAndIsInNoLog() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-secret");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        // mount(8) keeps x-* options from its helper, so mount.glusterfs, which refuses
        // unknown options, never sees it; kubelet-mounter and mount(8) do
        CommandResult result = kubeletMounter(setup, "mount", "-t", "glusterfs",
                "-o", "x-password=" + SECRET + ",log-level=WARNING", volume.source(), target.toString());

        assertExit(0, result);
        assertTrue(setup.log().contains("-o x-password=<masked>,log-level=WARNING"), setup.log());
        assertNoSecretIn(result, setup);
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void aRefusedCredentialOptionFailsWithTheContainerMountsStatusAndStaysMasked() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-refused");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");
        List<String> mountArgs = List.of("-t", "glusterfs", "-o", "password=" + SECRET, volume.source(), target.toString());
        // the same mount run in the container directly: mount.glusterfs refuses the option
        List<String> direct = new ArrayList<>(List.of("mount"));
        direct.addAll(mountArgs);
        CommandResult inContainer = node.container().command(direct).exec();
        assertFalse(inContainer.succeeded(), inContainer::describe);

        List<String> routed = new ArrayList<>(List.of("mount"));
        routed.addAll(mountArgs);
        CommandResult result = kubeletMounter(setup, routed.toArray(String[]::new));

        assertExit(inContainer.exitStatus(), result);
        assertTrue(result.stderr().contains("Invalid option"), "the helper's own message is passed on: " + result.stderr());
        assertTrue(result.stderr().contains("kubelet-mounter: mount of glusterfs at " + target + " failed"), result.stderr());
        assertNoSecretIn(result, setup);
        assertFalse(node.host().isMounted(target), "nothing mounted on the host");
    }

    private void assertNoSecretIn(CommandResult result, Setup setup) {
        assertFalse(result.stdout().contains(SECRET), "stdout: " + result.stdout());
        assertFalse(result.stderr().contains(SECRET), "stderr: " + result.stderr());
        assertFalse(setup.log().contains(SECRET), "kubelet-mounter's log: " + setup.log());
        assertFalse(node.mounterd().log().contains(SECRET), "mounterd's log: " + node.mounterd().log());
    }

    @Test
    void anUnroutedFstypeGoesToTheHostsMountAndUmountToItsUmount() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        Path target = node.node().newVolumeDir("kubernetes.io~empty-dir/scratch");

        assertExit(0, kubeletMounter(setup, "mount", "-t", "tmpfs", "-o", "size=1m,mode=0750",
                "kubelet-tmpfs", target.toString()));

        MountInfo.Entry mounted = node.host().mountinfo().at(target)
                .orElseThrow(() -> new AssertionError("not on the host: " + target + "\n" + node.host().mountinfo()));
        assertEquals("tmpfs", mounted.fstype());
        assertEquals("kubelet-tmpfs", mounted.source());
        assertFalse(node.container().isMounted(target), "not in the container");
        assertTrue(setup.log().contains("op=mount fstype=tmpfs route=host status=0"), setup.log());

        // mount-utils never sends unmounts here; if a caller does, the host's umount does it
        assertExit(0, kubeletMounter(setup, "umount", target.toString()));
        assertFalse(node.host().isMounted(target), "unmounted on the host");
        assertTrue(setup.log().contains("op=umount fstype=- route=host status=0"), setup.log());
    }

    @Test
    void withoutAnyConfigFileEverythingGoesToTheHostsMount() {
        Assumptions.assumeFalse(Files.exists(Path.of("/etc/mounter/kubelet-mounter.conf")),
                "this machine has a real /etc/mounter/kubelet-mounter.conf");
        Path target = node.node().newVolumeDir("kubernetes.io~empty-dir/unconfigured");

        CommandResult result = node.host().command(List.of(kubeletMounter().toString(), "mount", "-t", "tmpfs",
                        "kubelet-tmpfs", target.toString()))
                .withEnvironment(Map.of("PATH", STANDARD_PATH))
                .exec();

        assertExit(0, result);
        assertTrue(node.host().isMounted(target), "on the host");
        node.host().run("umount", target.toString());
    }

    @Test
    void volumeMounterHostSendsEvenARoutedFstypeToTheHost() throws IOException {
        Setup setup = configure("--volume-mounter=host",
                "--mount-container=glusterfs:pid=" + node.container().initPid() + ":mounter", "--runtime=nsenter");
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-host");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        assertExit(0, kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), target.toString()));

        try {
            assertTrue(node.host().isMounted(target), "on the host");
            assertTrue(Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                    p -> p.commandLine().contains(target.toString())).isEmpty(), "no daemon in the container");
            assertTrue(setup.log().contains("route=host"), setup.log());
        } finally {
            node.host().run("umount", target.toString());
        }
    }

    /**
     * mount.glusterfs exits 0 even when its forwarded mount was refused (it only stats the
     * target in the container): kubelet-mounter looks for the mount on the host.
     */
    @Test
    void aRefusedGlusterfsMountIsExit32NotASilentSuccess() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-outside");
        Path outside = node.node().newDirectory("outside-the-prefixes");

        CommandResult result = kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), outside.toString());

        assertExit(32, result);
        assertTrue(result.stderr().contains("no glusterfs mount is on " + outside + " in the host namespace"),
                result.stderr());
        assertFalse(node.host().isMounted(outside), "nothing on the host");
        assertFalse(node.container().isMounted(outside), "nothing in the container");
        LiveMount.await(() -> Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                p -> p.comm().equals("glusterfs") && p.cmdline().contains(outside.toString()) && !p.isZombie())
                .isEmpty(), Duration.ofSeconds(10), "the refused glusterfs client gone: " + node.container().processes());
    }

    @Test
    void withMounterdDownAGlusterfsMountIsExit32() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-down");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");
        node.mounterd().kill();
        try {
            CommandResult result = kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(),
                    target.toString());

            assertExit(32, result);
            assertFalse(node.host().isMounted(target), "nothing on the host");
            assertFalse(node.container().isMounted(target), "nothing in the container");
        } finally {
            node.restartMounterd();
        }
    }

    /** kubelet's mount library expects 32 ("already mounted") for a target that holds a mount. */
    @Test
    void aSecondMountOntoAMountedTargetIsExit32AndNothingIsStacked() throws IOException {
        Setup setup = routeGlusterfsToTheContainer();
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-twice");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");
        assertExit(0, kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), target.toString()));

        CommandResult again = kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), target.toString());

        assertExit(32, again);
        assertEquals("kubelet-mounter: " + target + " is already mounted\n", again.stderr());
        assertEquals(1, node.host().mountinfo().entries().stream()
                .filter(e -> e.mountPoint().equals(target.toString())).count(), "one mount on the target");
        ServedMount.check(node, target, "glusterfs", volume.brick());
    }

    @Test
    void aMissingMountContainerIsExit32AndMountsNothing() throws IOException {
        assertFalse(Files.exists(Path.of("/proc/999999")), "pid 999999 must not exist for this test");
        Setup setup = configure("--mount-container=glusterfs:pid=999999:mounter", "--runtime=nsenter");
        GlusterVolume volume = node.node().gluster().createVolume("kubelet-missing");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        CommandResult result = kubeletMounter(setup, "mount", "-t", "glusterfs", volume.source(), target.toString());

        assertExit(32, result);
        assertEquals("kubelet-mounter: no running mount container for fstype glusterfs (selector pid=999999, "
                + "container mounter): process 999999 does not exist\n", result.stderr());
        assertFalse(node.host().isMounted(target), "nothing on the host");
        assertFalse(node.container().isMounted(target), "nothing in the container");
        assertTrue(setup.log().contains("status=32"), setup.log());
    }

    @Test
    void aBadConfigLineIsExit1NamingTheLine() throws IOException {
        Setup setup = configure("--runtime=nsenter",
                "--mount-container=glusterfs:pid=" + node.container().initPid() + ":mounter",
                "--mount-container=glusterfs-without-selector");
        Path target = node.node().newVolumeDir("kubernetes.io~glusterfs/data");

        CommandResult result = kubeletMounter(setup, "mount", "-t", "glusterfs", "127.0.0.2:/none", target.toString());

        assertExit(1, result);
        assertEquals("kubelet-mounter: " + setup.config() + " line 3: --mount-container wants "
                + "FSTYPE:SELECTOR:CONTAINER: glusterfs-without-selector\n", result.stderr());
        assertFalse(node.host().isMounted(target), "nothing on the host");
    }
}

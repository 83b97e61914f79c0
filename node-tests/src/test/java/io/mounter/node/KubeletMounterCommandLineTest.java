package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * dist/bin/kubelet-mounter against fake crictl, docker and nerdctl scripts that record
 * their argv and print canned ids: the exact command lines it would run on a node, its
 * exit statuses and messages, the masking of credentials, and its config checks. No
 * privileges needed and nothing is mounted: no call here reaches the host's /bin/mount.
 *
 * <p>PATH holds only the fakes and symlinks to the few tools the script uses, so a real
 * container CLI on this machine (there is a docker in /usr/bin) can never answer.
 */
class KubeletMounterCommandLineTest {
    private static final String SECRET = "hunter2";
    /** What sh runs in the container when options come on stdin (kubelet-mounter's READ_OPTIONS_AND_MOUNT). */
    private static final String READ_OPTIONS_AND_MOUNT = "IFS= read -r options || exit 32; exec mount -o \"$options\" \"$@\"";
    private static final String SOURCE = "127.0.0.2:/v1";
    private static final String TARGET = "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~glusterfs/data";
    private static final List<String> TOOLS = List.of("awk", "sed", "tr", "date", "mktemp", "rm", "timeout",
            "sleep", "env", "cat", "nsenter");
    private static final String K8S_POD_UID_FORMAT = "{{.Name}}|{{index .Config.Labels \"io.kubernetes.pod.uid\"}}";

    /**
     * Each fake appends its argv as {@code [arg][arg]...} to $CALLS, and for an exec with
     * stdin (-i), what it read to $CALLS.stdin; then runs its case body.
     */
    private static final String FAKE_HEAD = """
            #!/bin/sh
            { printf '[%s]' "$@"; printf '\\n'; } >>"$CALLS"
            case "$1 $2" in "exec -i") cat >>"$CALLS.stdin" ;; esac
            # what a mount that worked leaves: its line in the host's mountinfo
            lands() { printf '36 1 0:99 / %s rw - fuse.glusterfs 127.0.0.2:/v1 rw\\n' "$LANDS_AT" >>"$KUBELET_MOUNTER_MOUNTINFO"; }
            """;

    @TempDir
    Path dir;
    private Path script;
    private Path fakes;
    private Path config;
    private Path calls;
    private Path log;
    private Path mountinfo;

    @BeforeEach
    void setUp() throws IOException {
        script = Distribution.locate().bin("kubelet-mounter");
        assertTrue(Files.isExecutable(script), "the build installs " + script);
        fakes = Files.createDirectory(dir.resolve("fakes"));
        Path tools = Files.createDirectory(dir.resolve("tools"));
        for (String tool : TOOLS) {
            Path real = NodeRequirements.findBinary(tool);
            assertTrue(real != null, "no " + tool + " on this machine");
            Files.createSymbolicLink(tools.resolve(tool), real);
        }
        config = dir.resolve("kubelet-mounter.conf");
        calls = dir.resolve("calls");
        log = dir.resolve("kubelet-mounter.log");
        mountinfo = Files.createFile(dir.resolve("mountinfo"));
    }

    private void configure(String... lines) throws IOException {
        List<String> all = new ArrayList<>(List.of(lines));
        all.add("--log-file=" + log);
        Files.write(config, all);
    }

    private void fake(String name, String caseBody) throws IOException {
        Path file = fakes.resolve(name);
        Files.writeString(file, FAKE_HEAD + "case \"$*\" in\n" + caseBody
                + "\n*) echo \"" + name + ": unexpected call: $*\" >&2; exit 99 ;;\nesac\n");
        assertTrue(file.toFile().setExecutable(true));
    }

    private CommandResult run(String... args) {
        List<String> argv = new ArrayList<>(List.of(script.toString()));
        argv.addAll(List.of(args));
        return Command.of(argv)
                .withEnvironment(Map.of(
                        "PATH", fakes + ":" + dir.resolve("tools"),
                        "KUBELET_MOUNTER_CONFIG", config.toString(),
                        "CALLS", calls.toString(),
                        "KUBELET_MOUNTER_MOUNTINFO", mountinfo.toString(),
                        "LANDS_AT", TARGET,
                        "TMPDIR", dir.toString()))
                .withTimeout(Duration.ofSeconds(30))
                .exec();
    }

    private CommandResult mountGlusterfs(String options) {
        return run("mount", "-t", "glusterfs", "-o", options, SOURCE, TARGET);
    }

    /** What the execs with stdin read, in order. */
    private String execStdin() throws IOException {
        Path stdin = Path.of(calls + ".stdin");
        return Files.exists(stdin) ? Files.readString(stdin) : "";
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static String bracketed(String... args) {
        StringBuilder line = new StringBuilder();
        for (String arg : args) {
            line.append('[').append(arg).append(']');
        }
        return line.toString();
    }

    private void assertExit(int expected, CommandResult result) throws IOException {
        assertEquals(expected, result.exitStatus(), result::describe);
        try (var left = Files.list(dir)) {
            List<Path> temporary = left.filter(p -> Files.isDirectory(p)
                    && p.getFileName().toString().startsWith("kubelet-mounter.")).toList();
            assertEquals(List.of(), temporary, "temporary directories left behind");
        }
    }

    private void assertNoSecretLeft(CommandResult result) throws IOException {
        assertFalse(result.stdout().contains(SECRET), "stdout: " + result.stdout());
        assertFalse(result.stderr().contains(SECRET), "stderr: " + result.stderr());
        assertFalse(log().contains(SECRET), "log: " + log());
    }

    // --- crictl -----------------------------------------------------------------------

    private void crictlWithPodAndContainer(String execBody) throws IOException {
        fake("crictl", """
                "pods --label name=glusterfs-mounter --state ready -q") echo pod-1 ;;
                "ps --pod pod-1 --name ^mounter$ --state running -q") echo ctr-1 ;;
                "exec "*) %s ;;
                """.formatted(execBody));
    }

    @Test
    void crictlFindsTheReadyPodsContainerAndExecsMountWithKubeletsArguments() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("lands");

        CommandResult result = mountGlusterfs("password=" + SECRET + ",log-level=WARNING");

        assertExit(0, result);
        assertEquals(List.of(
                bracketed("pods", "--label", "name=glusterfs-mounter", "--state", "ready", "-q"),
                bracketed("ps", "--pod", "pod-1", "--name", "^mounter$", "--state", "running", "-q"),
                // options with a credential: on stdin, unmasked, for sh in the container to give mount
                bracketed("exec", "-i", "ctr-1", "sh", "-c", READ_OPTIONS_AND_MOUNT, "mount", "-t", "glusterfs",
                        "--", SOURCE, TARGET)), calls());
        assertEquals("password=" + SECRET + ",log-level=WARNING\n", execStdin());
        String line = log();
        assertTrue(line.contains("op=mount fstype=glusterfs route=container runtime=crictl "
                + "selector=name=glusterfs-mounter container=mounter id=ctr-1 status=0"), line);
        assertTrue(line.contains("-o password=<masked>,log-level=WARNING " + SOURCE + " " + TARGET), line);
        assertEquals(1, line.lines().count(), "one log line per call: " + line);
        assertNoSecretLeft(result);
    }

    @Test
    void aSelectorWithSeveralLabelsGivesOneLabelFlagEachAndTheNameIsAnExactPattern() throws IOException {
        configure("--mount-container=glusterfs:app.kubernetes.io/name=mounter,tier=node:glusterfs.mounter",
                "--runtime=crictl", "--timeout=30");
        // crictl's --name is a regular expression: anchored, with its dots escaped
        fake("crictl", """
                "pods --label app.kubernetes.io/name=mounter --label tier=node --state ready -q") echo pod-1 ;;
                "ps --pod pod-1 --name ^glusterfs\\.mounter$ --state running -q") echo ctr-1 ;;
                "exec -s --timeout=30 ctr-1 mount -t glusterfs "*) lands ;;
                """);

        assertExit(0, run("mount", "-t", "glusterfs", SOURCE, TARGET));
        assertEquals(3, calls().size(), calls()::toString);
    }

    @Test
    void noReadyPodIsExit32NamingFstypeSelectorAndContainer() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        fake("crictl", """
                "pods --label name=glusterfs-mounter --state ready -q") ;;
                """);

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertEquals("kubelet-mounter: no running mount container for fstype glusterfs (selector "
                + "name=glusterfs-mounter, container mounter): crictl found no ready pod labelled "
                + "name=glusterfs-mounter\n", result.stderr());
        assertEquals(1, calls().size(), "no exec without a container: " + calls());
        assertTrue(log().contains("status=32"), log());
    }

    @Test
    void aPodWithoutTheRunningContainerIsExit32() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        fake("crictl", """
                "pods --label name=glusterfs-mounter --state ready -q") echo pod-1 ;;
                "ps --pod pod-1 --name ^mounter$ --state running -q") ;;
                """);

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().contains("pod pod-1 has no running container mounter"), result.stderr());
    }

    @Test
    void anUnreachableRuntimeIsExit32WithItsError() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        fake("crictl", """
                "pods "*) echo 'connect: connect endpoint unix:///run/containerd/containerd.sock: connection refused' >&2; exit 1 ;;
                """);

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().startsWith("kubelet-mounter: no running mount container for fstype glusterfs"),
                result.stderr());
        assertTrue(result.stderr().contains("`crictl pods` failed (exit 1): connect: connect endpoint"), result.stderr());
    }

    @Test
    void aFailedMountPassesItsStatusOnAndItsOutputMasked() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        // what crictl exec -s prints when the command fails: the whole command line, secret included
        crictlWithPodAndContainer("echo \"FATA[0000] execing command in container ctr-1 synchronously: command "
                + "'mount -t glusterfs -o PassWord=" + SECRET + ",log-level=WARNING ...' exited with 32: "
                + "Mount failed\" >&2; echo \"token=" + SECRET + "\"; exit 7");

        CommandResult result = mountGlusterfs("PassWord=" + SECRET + ",log-level=WARNING");

        assertExit(7, result);
        assertTrue(result.stderr().contains("-o PassWord=<masked>,log-level=WARNING ..."), result.stderr());
        assertTrue(result.stdout().contains("token=<masked>"), result.stdout());
        assertTrue(result.stderr().endsWith("kubelet-mounter: mount of glusterfs at " + TARGET
                + " failed in container mounter (crictl, selector name=glusterfs-mounter): exit 7\n"), result.stderr());
        assertTrue(execStdin().contains("PassWord=" + SECRET), "the real options are unmasked: " + execStdin());
        assertNoSecretLeft(result);
    }

    @Test
    void eachArgumentIsMaskedWholeInTheLogAndSourcesInTheOutput() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        // a blank in the password: a log line masked as text would end the value there
        String options = "user=bob,password=a " + SECRET + ",log-level=WARNING";
        String source = "//bob:" + SECRET + "@srv/share";
        crictlWithPodAndContainer("echo \"mount error: cannot mount " + source + " read-only\" >&2; exit 32");

        CommandResult result = run("mount", "-t", "glusterfs", "-o", options, source, TARGET);

        assertExit(32, result);
        assertTrue(calls().get(2).endsWith("[--][" + source + "][" + TARGET + "]"), "the real source is unmasked: " + calls());
        assertEquals(options + "\n", execStdin(), "the real options, on stdin");
        assertTrue(log().contains("args: -t glusterfs -o 'user=bob,password=<masked>,log-level=WARNING' "
                + "//bob:<masked>@srv/share " + TARGET + "\n"), log());
        assertTrue(result.stderr().contains("cannot mount //bob:<masked>@srv/share read-only"), result.stderr());
        assertNoSecretLeft(result);
    }

    @Test
    void aMountThatOutlivesTheTimeoutIsExit32() throws IOException {
        // the timeout covers finding the container too: 1 s was once spent on that alone on a busy machine
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl", "--timeout=3");
        crictlWithPodAndContainer("sleep 20");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.elapsed().compareTo(Duration.ofSeconds(10)) < 0, "ended by the timeout: " + result.elapsed());
        assertTrue(result.stderr().contains("timed out after 3 s mounting " + TARGET + " for fstype glusterfs"),
                result.stderr());
    }

    /** mount.glusterfs exits 0 even when its mount was refused or mounterd was down. */
    @Test
    void aMountThatExitsZeroButDidNotLandOnTheHostIsExit32() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("exit 0");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().contains("reported success in container mounter (crictl, selector "
                + "name=glusterfs-mounter), but no glusterfs mount is on " + TARGET
                + " in the host namespace (found: nothing)"), result.stderr());
        assertTrue(log().contains("status=32"), log());
    }

    @Test
    void aTargetThatHoldsAMountAlreadyIsExit32AndNothingIsStacked() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("lands");
        Files.writeString(mountinfo, "36 1 0:98 / " + TARGET + " rw - fuse.glusterfs " + SOURCE + " rw\n");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertEquals("kubelet-mounter: " + TARGET + " is already mounted\n", result.stderr());
        assertTrue(calls().stream().noneMatch(call -> call.startsWith("[exec]")), "no mount ran: " + calls());
    }

    @Test
    void aTargetWithASpaceIsFoundInMountinfoByItsEscapedName() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("lands");
        String spaced = "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~glusterfs/my data";
        Files.writeString(mountinfo, "36 1 0:98 / " + spaced.replace(" ", "\\040") + " rw - fuse.glusterfs "
                + SOURCE + " rw\n");

        assertExit(32, run("mount", "-t", "glusterfs", SOURCE, spaced));
    }

    /** mount(8) in the container gets SOURCE and TARGET after "--": a source such as "--bind" is no flag. */
    @Test
    void sourceAndTargetFollowADoubleDash() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("lands");

        assertExit(0, run("mount", "-t", "glusterfs", "-o", "ro", "--bind", TARGET));
        Files.writeString(mountinfo, "");
        assertExit(0, run("mount", "-t", "glusterfs", TARGET));
        Files.writeString(mountinfo, "");
        assertExit(0, run("mount", "-t", "glusterfs", "-o", "ro", TARGET));

        List<String> mounts = calls().stream().filter(call -> call.startsWith("[exec]")).toList();
        assertEquals(List.of(
                bracketed("exec", "-s", "--timeout=120", "ctr-1", "mount", "-t", "glusterfs", "-o", "ro", "--",
                        "--bind", TARGET),
                bracketed("exec", "-s", "--timeout=120", "ctr-1", "mount", "-t", "glusterfs", "--", TARGET),
                bracketed("exec", "-s", "--timeout=120", "ctr-1", "mount", "-t", "glusterfs", "-o", "ro", "--",
                        TARGET)), mounts);
    }

    /** The checks the image's guard around mount.glusterfs runs, under its own name. */
    @Test
    void theHelperGuardsChecksNameTheHelper() throws IOException {
        assertExit(0, run("--not-mounted", "mount.glusterfs", TARGET));
        Files.writeString(mountinfo, "36 1 0:98 / " + TARGET + " rw - fuse.glusterfs " + SOURCE + " rw\n");

        CommandResult taken = run("--not-mounted", "mount.glusterfs", TARGET);

        assertExit(32, taken);
        assertEquals("mount.glusterfs: " + TARGET + " is already mounted\n", taken.stderr());
        assertExit(0, run("--landed", "mount.glusterfs", "glusterfs", TARGET));
        assertExit(1, run("--landed", "mount.glusterfs", TARGET));
    }

    // --- docker and nerdctl --------------------------------------------------------------

    @Test
    void dockerFindsThePodThroughItsSandboxAndTheContainerByItsKubernetesName() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=docker");
        fake("docker", """
                "ps -q --filter label=name=glusterfs-mounter") printf 'sandbox-1\\n' ;;
                "inspect --format "*" sandbox-1") echo '/k8s_POD_glusterfs-mounter_kube-system_uid-9_0|uid-9' ;;
                "ps -q --filter label=io.kubernetes.pod.uid=uid-9 --filter label=io.kubernetes.container.name=mounter") echo ctr-9 ;;
                "exec -i ctr-9 sh -c "*) lands; echo mounted ;;
                """);

        CommandResult result = mountGlusterfs("password=" + SECRET);

        assertExit(0, result);
        assertEquals("mounted\n", result.stdout());
        assertEquals(List.of(
                bracketed("ps", "-q", "--filter", "label=name=glusterfs-mounter"),
                bracketed("inspect", "--format", K8S_POD_UID_FORMAT, "sandbox-1"),
                bracketed("ps", "-q", "--filter", "label=io.kubernetes.pod.uid=uid-9",
                        "--filter", "label=io.kubernetes.container.name=mounter"),
                bracketed("exec", "-i", "ctr-9", "sh", "-c", READ_OPTIONS_AND_MOUNT, "mount", "-t", "glusterfs", "--",
                        SOURCE, TARGET)),
                calls());
        assertEquals("password=" + SECRET + "\n", execStdin());
        assertNoSecretLeft(result);
    }

    @Test
    void dockerTakesAContainerStartedByHandByItsName() throws IOException {
        configure("--mount-container=glusterfs:role=mounter:mounter", "--runtime=docker");
        fake("docker", """
                "ps -q --filter label=role=mounter") printf 'other\\nmine\\n' ;;
                "inspect --format "*" other") echo '/sidecar|' ;;
                "inspect --format "*" mine") echo '/mounter|' ;;
                "exec mine mount -t glusterfs "*) lands ;;
                """);

        assertExit(0, run("mount", "-t", "glusterfs", SOURCE, TARGET));
        assertEquals(bracketed("exec", "mine", "mount", "-t", "glusterfs", "--", SOURCE, TARGET), calls().get(3));
    }

    @Test
    void dockerWithoutAMatchingContainerIsExit32() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=docker");
        fake("docker", """
                "ps -q --filter label=name=glusterfs-mounter") ;;
                """);

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().contains("(selector name=glusterfs-mounter, container mounter): docker found no "
                + "running container labelled name=glusterfs-mounter"), result.stderr());
    }

    @Test
    void anExecThatCannotStartTheMountIsExit32() throws IOException {
        configure("--mount-container=glusterfs:role=mounter:mounter", "--runtime=docker");
        fake("docker", """
                "ps -q --filter label=role=mounter") echo mine ;;
                "inspect --format "*" mine") echo '/mounter|' ;;
                "exec mine mount "*) echo 'OCI runtime exec failed: exec: "mount": executable file not found' >&2; exit 126 ;;
                """);

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().contains("could not run mount in container mounter (docker, selector role=mounter): "
                + "docker exited 126"), result.stderr());
    }

    @Test
    void nerdctlWorksInContainerdsKubernetesNamespace() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=nerdctl");
        fake("nerdctl", """
                "--namespace k8s.io ps -q --filter label=name=glusterfs-mounter") echo sandbox-1 ;;
                "--namespace k8s.io inspect --format "*" sandbox-1") echo 'sandbox-1|uid-9' ;;
                "--namespace k8s.io ps -q --filter label=io.kubernetes.pod.uid=uid-9 --filter label=io.kubernetes.container.name=mounter") echo ctr-9 ;;
                "--namespace k8s.io exec ctr-9 mount "*) lands ;;
                """);

        assertExit(0, mountGlusterfs("log-level=WARNING"));
        assertEquals(bracketed("--namespace", "k8s.io", "exec", "ctr-9", "mount", "-t", "glusterfs",
                "-o", "log-level=WARNING", "--", SOURCE, TARGET), calls().get(3));
    }

    // --- runtime detection ------------------------------------------------------------

    @Test
    void withoutARuntimeSettingCrictlComesFirstThenDocker() throws IOException {
        configure("--mount-container=glusterfs:role=mounter:mounter");
        fake("docker", """
                "ps -q --filter label=role=mounter") echo mine ;;
                "inspect --format "*" mine") echo '/mounter|' ;;
                "exec mine mount "*) lands ;;
                """);
        fake("nerdctl", "");
        assertExit(0, mountGlusterfs("log-level=WARNING"));
        assertTrue(calls().stream().allMatch(call -> !call.startsWith("[--namespace]")), "docker before nerdctl: " + calls());

        Files.delete(calls);
        Files.writeString(mountinfo, ""); // unmounted, as kubelet does before mounting again
        fake("crictl", """
                "pods --label role=mounter --state ready -q") echo pod-1 ;;
                "ps --pod pod-1 --name ^mounter$ --state running -q") echo ctr-1 ;;
                "exec -s --timeout=120 ctr-1 mount "*) lands ;;
                """);
        assertExit(0, run("mount", "-t", "glusterfs", SOURCE, TARGET));
        assertEquals(bracketed("pods", "--label", "role=mounter", "--state", "ready", "-q"), calls().get(0));
    }

    @Test
    void noContainerCliAtAllIsExit32() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertTrue(result.stderr().contains("no container runtime CLI on PATH (looked for crictl, docker, nerdctl)"),
                result.stderr());
    }

    @Test
    void nsenterWithAVanishedProcessIsExit32() throws IOException {
        Assumptions.assumeFalse(Files.exists(Path.of("/proc/999999")), "pid 999999 exists here");
        configure("--mount-container=glusterfs:pid=999999:mounter", "--runtime=nsenter");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(32, result);
        assertEquals("kubelet-mounter: no running mount container for fstype glusterfs (selector pid=999999, "
                + "container mounter): process 999999 does not exist\n", result.stderr());
    }

    // --- usage and configuration ----------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--volume-mounter=sometimes | --volume-mounter is container or host",
            "--mount-container=glusterfs:name=glusterfs-mounter | --mount-container wants FSTYPE:SELECTOR:CONTAINER",
            "--mount-container=glusterfs::mounter | empty selector",
            "--mount-container=glusterfs:name:mounter | bad selector term 'name'",
            "--mount-container=glusterfs:name=a b:mounter | bad selector term",
            "--mount-container=gluster fs:name=a:mounter | bad fstype",
            "--mount-container=glusterfs:name=a:mount/er | bad container name",
            "--mount-container=glusterfs:name=other:mounter | fstype glusterfs is routed already on line 2",
            "--runtime=podman | --runtime is crictl, docker, nerdctl or nsenter",
            "--timeout=0 | --timeout wants a positive number of seconds",
            "--timeout=2m | --timeout wants a positive number of seconds",
            "--log-file=relative.log | --log-file wants an absolute path",
            "--mounter=container | unknown setting",
            "volume-mounter=container | unknown setting",
    })
    void aBadConfigLineIsExit1NamingTheLine(String badLine, String reason) throws IOException {
        Files.write(config, List.of("# kubelet-mounter", "--mount-container=glusterfs:name=glusterfs-mounter:mounter",
                badLine, "--runtime=crictl"));
        crictlWithPodAndContainer("lands");

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(1, result);
        assertTrue(result.stderr().startsWith("kubelet-mounter: " + config + " line "
                + "3: " + reason), result.stderr());
        assertEquals(List.of(), calls(), "nothing runs with a bad config");
    }

    @Test
    void theNsenterRuntimeWantsPidSelectors() throws IOException {
        Files.write(config, List.of("--runtime=nsenter", "", "  --mount-container=glusterfs:name=x:mounter  "));

        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(1, result);
        assertEquals("kubelet-mounter: " + config + " line 3: the nsenter runtime wants the selector pid=PID: name=x\n",
                result.stderr());
    }

    @Test
    void aConfigFileNamedInTheEnvironmentMustExist() throws IOException {
        CommandResult result = mountGlusterfs("log-level=WARNING");

        assertExit(1, result);
        assertTrue(result.stderr().contains("cannot read the config file " + config), result.stderr());
    }

    @Test
    void badUsageIsExit1() throws IOException {
        configure("--mount-container=glusterfs:name=glusterfs-mounter:mounter", "--runtime=crictl");
        crictlWithPodAndContainer("lands");

        assertExit(1, run());
        assertExit(1, run("frob", "-t", "glusterfs", SOURCE, TARGET));
        CommandResult missingType = run("mount", "-o", "ro", "-t");
        assertExit(1, missingType);
        assertTrue(missingType.stderr().contains("lacks its value"), missingType.stderr());
        assertEquals(List.of(), calls());
        assertExit(0, run("--help"));
    }

    // --- the script itself ------------------------------------------------------------------

    @Test
    void isPosixShellThatDashParses() {
        Command.of("dash", "-n", script.toString()).run();
        assertEquals("#!/bin/sh", firstLine(script));
    }

    @Test
    void passesShellcheckAsPosixSh() {
        Assumptions.assumeTrue(NodeRequirements.findBinary("shellcheck") != null, "shellcheck is not installed");
        Command.of("shellcheck", "--shell=sh", "--severity=style", script.toString()).run();
        // the image's guard around mount.glusterfs runs this script's --not-mounted and --landed
        Command.of("shellcheck", "--shell=sh", "--severity=style", "../container/mount-helper-guard").run();
    }

    private static String firstLine(Path file) {
        try {
            return Files.readAllLines(file).get(0);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }
}

package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mounter.csi.proto.GetPluginCapabilitiesRequest;
import io.mounter.csi.proto.GetPluginInfoResponse;
import io.mounter.csi.proto.GetPluginInfoRequest;
import io.mounter.csi.proto.NodeGetCapabilitiesRequest;
import io.mounter.csi.proto.NodeGetInfoRequest;
import io.mounter.csi.proto.NodeGetVolumeStatsRequest;
import io.mounter.csi.proto.NodeGetVolumeStatsResponse;
import io.mounter.csi.proto.NodePublishVolumeRequest;
import io.mounter.csi.proto.NodeServiceCapability;
import io.mounter.csi.proto.NodeStageVolumeRequest;
import io.mounter.csi.proto.NodeUnpublishVolumeRequest;
import io.mounter.csi.proto.NodeUnstageVolumeRequest;
import io.mounter.csi.proto.ProbeRequest;
import io.mounter.csi.proto.VolumeCapability;
import io.mounter.csi.proto.VolumeUsage;
import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CSI node door on the simulated node, driven as kubelet drives it: the project's own
 * gRPC stubs on mounterd's CSI socket, real glusterd, real FUSE daemons in the container.
 */
class CsiNodeTest extends OnMounterNode {
    static final String SOCKET = "/run/mounter/csi/csi.sock";
    private static final VolumeCapability MOUNT = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.getDefaultInstance())
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
            .build();

    private CsiClient csi;

    @Override
    protected List<String> mounterdArgs() {
        return List.of("--csi-endpoint", SOCKET, "--node-id", "node-a");
    }

    @BeforeAll
    void connect() {
        csi = new CsiClient(node.container().hostView(SOCKET));
    }

    @AfterAll
    void disconnect() {
        if (csi != null) {
            csi.close();
        }
    }

    @Test
    void identityAndNodeInformation() {
        GetPluginInfoResponse info = csi.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        assertEquals("csi.mounter.io", info.getName());
        assertFalse(info.getVendorVersion().isEmpty());
        assertEquals(0, csi.identity().getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesCount(), "a node plugin only: no controller service");
        assertTrue(csi.identity().probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        assertEquals("node-a", csi.node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()).getNodeId());
        assertEquals(List.of(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                        NodeServiceCapability.RPC.Type.GET_VOLUME_STATS, NodeServiceCapability.RPC.Type.VOLUME_CONDITION),
                csi.node().nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList()
                        .stream().map(c -> c.getRpc().getType()).toList());
        assertEquals(0600, mode(node.container().hostView(SOCKET)), "the socket is root's alone");
    }

    /**
     * Staged once, published to two pods (one read-only): a file written through one shows
     * through the other, one glusterfs daemon serves both, in the container; unpublished and
     * unstaged, the daemon exits.
     */
    @Test
    void aGlusterfsVolumeStagedOncePublishedTwice() throws IOException {
        GlusterVolume volume = node.node().gluster().createVolume("csi-" + shortId());
        stagedOncePublishedTwice(stage(volume.name(), node.node().newVolumeDir("globalmount"), glusterfs(volume)),
                "fuse.glusterfs", volume.brick(), () -> glusterfsDaemons(volume));
    }

    /** The same for sshfs, whose password comes from the stage Secret (on sshfs's stdin). */
    @Test
    void anSshfsVolumeWithAPasswordSecretStagedOncePublishedTwice() throws IOException {
        SshServer ssh = node.node().ssh();
        Path staging = node.node().newVolumeDir("globalmount");
        String password = "pw-" + UUID.randomUUID();
        NodeStageVolumeRequest request = stage("sshfs-" + shortId(), staging, Map.of("fstype", "sshfs", "source",
                ssh.source(), "options", ssh.sshfsOptions())).toBuilder().putSecrets("password", password).build();
        stagedOncePublishedTwice(request, "fuse.sshfs", ssh.exportDir(), () -> Processes.infoInPidNamespace(
                node.container().pidNamespaceInode()).stream().filter(p -> p.comm().contains("sshfs") && !p.isZombie()
                        && p.cmdline().contains(staging.toString())).toList());
        assertFalse(node.mounterd().log().contains(password), "the password is in no log line");
    }

    private void stagedOncePublishedTwice(NodeStageVolumeRequest stageRequest, String fstype, Path backend,
                                          java.util.function.Supplier<List<ProcessInfo>> daemonsOf) throws IOException {
        String id = stageRequest.getVolumeId();
        Path staging = Path.of(stageRequest.getStagingTargetPath());
        Path writer = node.node().newVolumeDir("kubernetes.io~csi").resolve("writer");
        Path reader = node.node().newVolumeDir("kubernetes.io~csi").resolve("reader");

        csi.node().nodeStageVolume(stageRequest);
        csi.node().nodeStageVolume(stageRequest); // idempotent
        csi.node().nodePublishVolume(publish(id, staging, writer, false));
        csi.node().nodePublishVolume(publish(id, staging, reader, true));
        csi.node().nodePublishVolume(publish(id, staging, writer, false)); // idempotent

        MountInfo.Entry staged = node.host().mountinfo().at(staging).orElseThrow();
        assertEquals(fstype, staged.fstype());
        assertEquals(staged.device(), node.host().mountinfo().at(writer).orElseThrow().device(), "a copy of the staged");
        MountInfo.Entry readOnly = node.host().mountinfo().at(reader).orElseThrow();
        assertTrue(readOnly.mountOptions().contains("ro") && readOnly.mountOptions().contains("nosuid")
                && readOnly.mountOptions().contains("nodev"), readOnly.mountOptions());
        String file = "file-" + shortId();
        node.host().run("sh", "-c", "echo through-the-writer > " + writer.resolve(file));
        assertEquals("through-the-writer\n", node.host().run("cat", reader.resolve(file).toString()).stdout());
        assertFalse(node.host().exec("sh", "-c", "echo no > " + reader.resolve("other")).succeeded(), "read-only");
        assertEquals("through-the-writer\n", Files.readString(backend.resolve(file)));
        List<ProcessInfo> daemons = daemonsOf.get();
        assertEquals(1, daemons.size(), "one daemon per volume and node, in the container: " + daemons);

        assertStatus(Status.Code.ALREADY_EXISTS, () -> csi.node().nodePublishVolume(publish(id, staging, writer, true)));
        NodeGetVolumeStatsResponse stats = csi.node().nodeGetVolumeStats(statsOf(id, writer));
        assertFalse(stats.getVolumeCondition().getAbnormal(), stats.toString());
        VolumeUsage bytes = stats.getUsageList().stream().filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES)
                .findFirst().orElseThrow();
        assertTrue(bytes.getTotal() > 0 && bytes.getAvailable() > 0, stats.toString());

        csi.node().nodeUnpublishVolume(unpublish(id, writer));
        csi.node().nodeUnpublishVolume(unpublish(id, reader));
        csi.node().nodeUnpublishVolume(unpublish(id, reader)); // idempotent
        assertFalse(Files.exists(writer) || Files.exists(reader), "the targets are removed");
        csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
        csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build()); // idempotent
        assertFalse(node.host().isMounted(staging));
        assertTrue(Processes.waitForExit(daemons.get(0).pid(), Duration.ofSeconds(10)), "the daemon exits");
    }

    /**
     * sshfs with a password from the stage Secret: sshfs reads it on stdin (password_stdin),
     * so it is in no process's command line, no log, no state file and no LIST. (The node's
     * sshd takes the key in the options; the password is read all the same.)
     */
    @Test
    void anSshfsPasswordSecretIsOnNoCommandLineLogOrStateFile() throws IOException {
        String password = "pw-" + UUID.randomUUID();
        SshServer ssh = node.node().ssh();
        Path staging = node.node().newVolumeDir("globalmount");
        Path target = node.node().newVolumeDir("kubernetes.io~csi").resolve("pod");
        String id = "sshfs-" + shortId();
        // and a secret that is an option (an ssh setting, as good as any): the daemon's command
        // line holds it, so mounterd keeps no command for this volume, and no state file holds it
        String interval = Integer.toString(3_000_000 + new java.util.Random().nextInt(1_000_000));
        NodeStageVolumeRequest request = stage(id, staging, Map.of("fstype", "sshfs", "source", ssh.source(),
                "options", ssh.sshfsOptions())).toBuilder().putSecrets("password", password)
                .putSecrets("ServerAliveInterval", interval).build();

        csi.node().nodeStageVolume(request);
        csi.node().nodePublishVolume(publish(id, staging, target, false));
        try {
            assertEquals("fuse.sshfs", node.host().mountinfo().at(staging).orElseThrow().fstype());
            node.host().run("sh", "-c", "echo over-ssh > " + target.resolve("file"));
            assertEquals("over-ssh\n", Files.readString(ssh.exportDir().resolve("file")));
            List<ProcessInfo> processes = Processes.infoInPidNamespace(node.container().pidNamespaceInode());
            assertTrue(processes.stream().anyMatch(p -> p.comm().contains("sshfs")), "sshfs serves: " + processes);
            assertTrue(processes.stream().noneMatch(p -> p.commandLine().contains(password)), "in no command line");
            assertFalse(node.mounterd().log().contains(password), "in no log line");
            assertFalse(LiveMount.stateFile(node).toString().contains(password), "not in the state file");
            assertTrue(processes.stream().anyMatch(p -> p.commandLine().contains("ServerAliveInterval=" + interval)),
                    "the option secret is on the daemon's command line (else this proves nothing)");
            Processes.sleep(Duration.ofSeconds(3)); // the watcher has found the daemon, the writer saved
            assertFalse(LiveMount.stateFile(node).toString().contains(interval), "the command holding it is not kept");
            assertTrue(LiveMount.list(node).stream().noneMatch(e -> e.toString().contains(password)), "not in LIST");
        } finally {
            csi.node().nodeUnpublishVolume(unpublish(id, target));
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
        }
    }

    /**
     * A staging path whose volume had a Secret among its options (a command mounterd never
     * keeps) and lost its mount without an unstage (unmounted on the host, the record gone
     * with it): the next volume staged there, without a secret, has its daemon's command kept,
     * so that its daemon would be run again.
     */
    @Test
    void theNextVolumeOnAPathThatHeldASecretOptionHasItsCommandKept() throws IOException {
        SshServer ssh = node.node().ssh();
        Path staging = node.node().newVolumeDir("globalmount");
        Map<String, String> context = Map.of("fstype", "sshfs", "source", ssh.source(), "options", ssh.sshfsOptions());
        csi.node().nodeStageVolume(stage("sshfs-" + shortId(), staging, context).toBuilder()
                .putSecrets("ServerAliveInterval", "4000000").build());
        node.host().run("umount", staging.toString());
        awaitUntil(() -> LiveMount.list(node).stream().noneMatch(e -> e.target().equals(staging.toString())),
                "mounterd forgets the mount unmounted on the host");

        String id = "sshfs-" + shortId();
        csi.node().nodeStageVolume(stage(id, staging, context));
        try {
            awaitUntil(() -> LiveMount.stateFile(node).get("commands") instanceof Map<?, ?> commands
                    && commands.containsKey(staging.toString()), "the second volume's command is saved");
        } finally {
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
        }
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Processes.sleep(Duration.ofMillis(50));
        }
    }

    /**
     * sshfs authenticated by an ssh key from the stage Secret (ssh-privatekey, as a
     * kubernetes.io/ssh-auth Secret holds it): written to a tmpfs of the helper's own mount
     * namespace, never seen in the container's, removed once the helper is done; the key is
     * in no command line, log or state file.
     */
    @Test
    void anSshKeySecretIsAFileOnlyTheHelperSees() throws IOException {
        SshServer ssh = node.node().ssh();
        String key = Files.readString(ssh.clientKey());
        String keyLine = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        Path staging = node.node().newVolumeDir("globalmount");
        String id = "sshfs-key-" + shortId();
        NodeStageVolumeRequest request = stage(id, staging, Map.of("fstype", "sshfs", "source", ssh.source(),
                "options", "StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,port="
                        + ssh.port())).toBuilder().putSecrets("ssh-privatekey", key).build();

        csi.node().nodeStageVolume(request);
        try {
            assertEquals("fuse.sshfs", node.host().mountinfo().at(staging).orElseThrow().fstype(),
                    "the key in the Secret was the one ssh used: there is no other");
            node.host().run("sh", "-c", "echo by-key > " + staging.resolve("by-key"));
            assertEquals("by-key\n", Files.readString(ssh.exportDir().resolve("by-key")));
            CommandResult secrets = node.container().exec("sh", "-c", "ls -A /run/mounter-secrets 2>/dev/null; true");
            assertEquals("", secrets.stdout(), "nothing in the container's own view");
            ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                    p -> p.comm().contains("sshfs") && p.cmdline().contains(staging.toString()) && !p.isZombie())
                    .orElseThrow();
            CommandResult inItsNamespace = Command.of("nsenter", "-t", Long.toString(daemon.pid()), "-m", "--",
                    "ls", "-A", "/run/mounter-secrets").exec();
            assertEquals("", inItsNamespace.stdout().strip(), "removed once the helper was done: "
                    + inItsNamespace.describe());
            List<ProcessInfo> processes = Processes.infoInPidNamespace(node.container().pidNamespaceInode());
            assertTrue(processes.stream().noneMatch(p -> p.commandLine().contains(keyLine)), "in no command line");
            assertFalse(node.mounterd().log().contains(keyLine), "in no log line");
            assertFalse(LiveMount.stateFile(node).toString().contains(keyLine), "not in the state file");
        } finally {
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
        }
    }

    /**
     * The volume's daemon killed while its command cannot work (bindfs's source gone): stats
     * say abnormal, and why; the source back, the daemon is run again and the pod's published
     * copy serves again.
     */
    @Test
    void statsSayAbnormalWhileTheDaemonIsGone() throws IOException {
        Path source = node.node().newDirectory("csi-bindfs-source");
        Path staging = node.node().newVolumeDir("globalmount");
        Path target = node.node().newVolumeDir("kubernetes.io~csi").resolve("pod");
        String id = "bindfs-" + shortId();
        csi.node().nodeStageVolume(stage(id, staging, Map.of("fstype", "fuse", "source", "bindfs#" + source)));
        csi.node().nodeStageVolume(stage(id, staging, Map.of("fstype", "fuse", "source", "bindfs#" + source)));
        csi.node().nodePublishVolume(publish(id, staging, target, false));
        Path moved = source.resolveSibling(source.getFileName() + "-away");
        try {
            Files.move(source, moved);
            ProcessInfo daemon = Processes.findInPidNamespace(node.container().pidNamespaceInode(),
                    p -> p.comm().equals("bindfs") && p.cmdline().contains(staging.toString()) && !p.isZombie())
                    .orElseThrow();
            Command.of("kill", "-KILL", Long.toString(daemon.pid())).run();

            NodeGetVolumeStatsResponse stats = awaitAbnormal(id, target, "FUSE daemon");
            assertEquals(0, stats.getUsageCount(), "no usage of a volume nobody serves");
            // once mounterd has seen it: being brought back, its command failing
            NodeGetVolumeStatsResponse seen = awaitAbnormal(id, target, "recovering");
            assertTrue(seen.getVolumeCondition().getMessage().contains("the volume's FUSE daemon is recovering"),
                    seen.toString());

            Files.move(moved, source);
            awaitServing(id, target);
            node.host().run("sh", "-c", "echo back > " + target.resolve("after"));
            assertEquals("back\n", Files.readString(source.resolve("after")), "the published copy serves again");
        } finally {
            if (Files.exists(moved)) {
                Files.move(moved, source);
            }
            csi.node().nodeUnpublishVolume(unpublish(id, target));
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                    .setStagingTargetPath(staging.toString()).build());
        }
    }

    @Test
    void anInlineVolumeIsMountedAtItsTargetWithoutStaging() throws IOException {
        GlusterVolume volume = node.node().gluster().createVolume("csi-" + shortId());
        Path target = node.node().newVolumeDir("kubernetes.io~csi").resolve("inline");
        Map<String, String> context = new java.util.HashMap<>(glusterfs(volume));
        context.put("csi.storage.k8s.io/ephemeral", "true");
        NodePublishVolumeRequest request = NodePublishVolumeRequest.newBuilder().setVolumeId("inline-" + shortId())
                .setTargetPath(target.toString()).setVolumeCapability(MOUNT).putAllVolumeContext(context).build();

        csi.node().nodePublishVolume(request);
        csi.node().nodePublishVolume(request); // idempotent

        assertEquals("fuse.glusterfs", node.host().mountinfo().at(target).orElseThrow().fstype());
        assertEquals(1, glusterfsDaemons(volume).size());
        csi.node().nodeUnpublishVolume(unpublish(request.getVolumeId(), target));
        assertFalse(node.host().isMounted(target));
        assertFalse(Files.exists(target));
    }

    @Test
    void callsThatBreakTheSpecsRulesGetItsCodes() throws IOException {
        Path staging = node.node().newVolumeDir("globalmount");
        Path target = node.node().newVolumeDir("kubernetes.io~csi").resolve("pod");
        Map<String, String> context = Map.of("fstype", "glusterfs", "source", "127.0.0.2:/none");
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> csi.node().nodeStageVolume(
                stage("", staging, context)));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> csi.node().nodeStageVolume(
                stage("v", staging, context).toBuilder().clearVolumeCapability().build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> csi.node().nodeStageVolume(
                stage("v", staging, Map.of("source", "127.0.0.2:/none"))));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> csi.node().nodeStageVolume(
                stage("v", staging, context).toBuilder().setVolumeCapability(VolumeCapability.newBuilder()
                        .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> csi.node().nodePublishVolume(
                publish("v", staging, target, false).toBuilder().clearTargetPath().build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> csi.node().nodePublishVolume(
                publish("v", staging, target, false)), "publish before stage");
        assertStatus(Status.Code.NOT_FOUND, () -> csi.node().nodeGetVolumeStats(statsOf("v", target)));
        assertStatus(Status.Code.PERMISSION_DENIED, () -> csi.node().nodeStageVolume(
                stage("v", node.node().newDirectory("outside-prefixes"), context)));

        Path outside = node.node().newDirectory("symlink-destination");
        Path link = staging.resolveSibling("link");
        Files.createSymbolicLink(link, outside);
        assertStatus(Status.Code.PERMISSION_DENIED, () -> csi.node().nodeStageVolume(stage("v", link, context)));
        assertTrue(node.host().mountinfo().under(outside).isEmpty(), "nothing mounted through the symlink");

        Files.createDirectories(target);
        csi.node().nodeUnpublishVolume(unpublish("v", target));
        assertFalse(Files.exists(target), "an unpublish of a target with nothing mounted removes the directory");
    }

    /**
     * A stage that outlives kubelet's patience (its helper waits on an ssh server that never
     * answers): the retry finds it in flight and gets ABORTED, so it is never started twice,
     * while another volume is staged meanwhile.
     */
    @Test
    void aCallOnAVolumeInFlightIsAbortedAndOtherVolumesGoOn() throws Exception {
        Process silentServer = node.host().command(List.of("perl", "-MIO::Socket::INET", "-e",
                        "$|=1; my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1:2299', ReuseAddr => 1)"
                                + " or die $!; print qq(listening\\n); my @held; while (my $c = $s->accept()) { push @held, $c }"))
                .processBuilder().redirectErrorStream(true).start();
        java.util.concurrent.ExecutorService calls = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            assertEquals("listening", new java.io.BufferedReader(new java.io.InputStreamReader(
                    silentServer.getInputStream())).readLine());
            Path staging = node.node().newVolumeDir("globalmount");
            String id = "slow-" + shortId();
            Map<String, String> context = Map.of("fstype", "sshfs", "source", "root@127.0.0.1:/export", "options",
                    "StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,port=2299");
            java.util.concurrent.Future<?> first = calls.submit(() -> csi.node().nodeStageVolume(stage(id, staging,
                    context)));
            awaitHelper(staging);

            assertStatus(Status.Code.ABORTED, () -> csi.node().nodeStageVolume(stage(id, staging, context)),
                    "the retry");
            assertStatus(Status.Code.ABORTED, () -> csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(staging.toString()).build()), "an unstage meanwhile");
            GlusterVolume other = node.node().gluster().createVolume("csi-" + shortId());
            Path otherStaging = node.node().newVolumeDir("globalmount");
            csi.node().nodeStageVolume(stage(other.name(), otherStaging, glusterfs(other)));
            assertTrue(node.host().isMounted(otherStaging), "another volume is staged meanwhile");
            assertEquals(1, helpersOn(staging).size(), "the slow stage runs once");

            Processes.terminateTree(silentServer.toHandle(), Duration.ofSeconds(5));
            java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> first.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(Status.Code.INTERNAL, ((StatusRuntimeException) failed.getCause()).getStatus().getCode());
            assertFalse(node.host().isMounted(staging), "nothing is left of the failed stage");
            csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(other.name())
                    .setStagingTargetPath(otherStaging.toString()).build());
        } finally {
            Processes.terminateTree(silentServer.toHandle(), Duration.ofSeconds(5));
            calls.shutdownNow();
        }
    }

    /** 50 volumes (bindfs, through mount.fuse) staged, then published at once: each lands. */
    @Test
    void fiftyConcurrentPublishesOfDistinctVolumes() throws Exception {
        int count = 50;
        List<Path> stagings = new java.util.ArrayList<>();
        List<Path> targets = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path source = node.node().newDirectory("bindfs-source");
            Files.writeString(source.resolve("name"), "volume-" + i);
            Path staging = node.node().newVolumeDir("globalmount");
            csi.node().nodeStageVolume(stage("bindfs-" + i, staging, Map.of("fstype", "fuse", "source",
                    "bindfs#" + source)));
            stagings.add(staging);
            targets.add(node.node().newVolumeDir("kubernetes.io~csi").resolve("pod"));
        }
        java.util.concurrent.ExecutorService calls = java.util.concurrent.Executors.newFixedThreadPool(count);
        try {
            List<java.util.concurrent.Future<?>> publishes = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                NodePublishVolumeRequest request = publish("bindfs-" + i, stagings.get(i), targets.get(i), false);
                publishes.add(calls.submit(() -> csi.node().nodePublishVolume(request)));
            }
            for (java.util.concurrent.Future<?> publish : publishes) {
                publish.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
            for (int i = 0; i < count; i++) {
                assertEquals("fuse.bindfs", node.host().mountinfo().at(targets.get(i)).orElseThrow().fstype());
                assertEquals("volume-" + i, node.host().run("cat", targets.get(i).resolve("name").toString()).stdout());
            }
        } finally {
            calls.shutdownNow();
            for (int i = 0; i < count; i++) {
                csi.node().nodeUnpublishVolume(unpublish("bindfs-" + i, targets.get(i)));
                csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId("bindfs-" + i)
                        .setStagingTargetPath(stagings.get(i).toString()).build());
            }
        }
    }

    private List<ProcessInfo> helpersOn(Path staging) {
        return Processes.infoInPidNamespace(node.container().pidNamespaceInode()).stream()
                .filter(p -> p.comm().contains("sshfs") && p.cmdline().contains(staging.toString()) && !p.isZombie())
                .toList();
    }

    private void awaitHelper(Path staging) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (helpersOn(staging).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no sshfs started for " + staging);
            }
            Processes.sleep(Duration.ofMillis(50));
        }
    }

    private static NodeStageVolumeRequest stage(String id, Path staging, Map<String, String> context) {
        return NodeStageVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString())
                .setVolumeCapability(MOUNT).putAllVolumeContext(context).build();
    }

    private static NodePublishVolumeRequest publish(String id, Path staging, Path target, boolean readOnly) {
        return NodePublishVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString())
                .setTargetPath(target.toString()).setVolumeCapability(MOUNT).setReadonly(readOnly).build();
    }

    private static NodeUnpublishVolumeRequest unpublish(String id, Path target) {
        return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id).setTargetPath(target.toString()).build();
    }

    private static NodeGetVolumeStatsRequest statsOf(String id, Path path) {
        return NodeGetVolumeStatsRequest.newBuilder().setVolumeId(id).setVolumePath(path.toString()).build();
    }

    private static Map<String, String> glusterfs(GlusterVolume volume) {
        return Map.of("fstype", "glusterfs", "source", volume.source(), "options", "log-level=WARNING");
    }

    private List<ProcessInfo> glusterfsDaemons(GlusterVolume volume) {
        return Processes.infoInPidNamespace(node.container().pidNamespaceInode()).stream()
                .filter(p -> p.comm().startsWith("glusterfs") && !p.isZombie()
                        && p.cmdline().stream().anyMatch(arg -> arg.contains(volume.name())))
                .toList();
    }

    private void awaitServing(String id, Path target) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (!csi.node().nodeGetVolumeStats(statsOf(id, target)).getVolumeCondition().getAbnormal()) {
                    return;
                }
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(e.getStatus() + "\n" + node.mounterd().log() + node.host().mountinfo());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not serving again:\n" + node.mounterd().log());
            }
            Processes.sleep(Duration.ofMillis(100));
        }
    }

    /** Polls the volume's stats until they say abnormal, with {@code saying} in the message. */
    private NodeGetVolumeStatsResponse awaitAbnormal(String id, Path target, String saying) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            NodeGetVolumeStatsResponse stats = csi.node().nodeGetVolumeStats(statsOf(id, target));
            if (stats.getVolumeCondition().getAbnormal() && stats.getVolumeCondition().getMessage().contains(saying)) {
                return stats;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not abnormal saying " + saying + ": " + stats + "\n" + node.mounterd().log());
            }
            Processes.sleep(Duration.ofMillis(100));
        }
    }

    static void assertStatus(Status.Code expected, Runnable call) {
        assertStatus(expected, call, "");
    }

    static void assertStatus(Status.Code expected, Runnable call, String what) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run, what);
        assertEquals(expected, e.getStatus().getCode(), what + ": " + e.getStatus());
        assertNotEquals(null, e.getStatus().getDescription(), "a reason");
    }

    private static int mode(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:mode") & 0777;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}

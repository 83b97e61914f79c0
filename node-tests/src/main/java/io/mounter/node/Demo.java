package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The main job, shown on a simulated node: a GlusterFS volume mounted the way kubelet does
 * it with {@code --experimental-mounter-path=kubelet-mounter} (which execs {@code mount -t
 * glusterfs ...} in the mount container), landing in the host namespace while its daemon
 * stays in the mount container.
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws IOException {
        List<String> missing = NodeRequirements.missing();
        if (!missing.isEmpty()) {
            System.err.println("demo: this machine cannot host a simulated node: " + String.join("; ", missing));
            System.exit(1);
        }
        try (MounterNode mounter = MounterNode.start()) {
            run(mounter);
        }
        System.out.println("\n== cleaned up: namespaces, processes, mounts and temp files are gone");
    }

    private static void run(MounterNode mounter) throws IOException {
        SimulatedNode node = mounter.node();
        HostNamespace host = node.host();
        MountContainer container = node.container();
        section("simulated node in " + node.directory());
        say("host mount namespace      held by pid %d (mnt ns %d)", host.pid(), host.mountNamespaceInode());
        say("mount container           init pid %d (pid ns %d, mnt ns %d), /etc/ld.so.preload -> %s",
                container.initPid(), container.pidNamespaceInode(), container.mountNamespaceInode(),
                mounter.dist().preloadLibrary());
        say("mounterd                  pid %d in the container, socket %s, host ns /host/proc/%d/ns/mnt",
                mounter.mounterd().pid(), Mounterd.SOCKET, host.pid());

        GlusterVolume volume = node.gluster().createVolume("demo");
        say("glusterd                  volume %s, brick %s (node network, loopback only)", volume.source(),
                volume.brick());

        Path target = node.newVolumeDir("kubernetes.io~glusterfs/data");
        section("kubelet's mount, on the host: kubelet-mounter routes glusterfs to the mount container");
        Path config = node.newDirectory("kubelet-mounter").resolve("kubelet-mounter.conf");
        Files.write(config, List.of("--volume-mounter=container",
                "--mount-container=glusterfs:pid=" + container.initPid() + ":mounter",
                "--runtime=nsenter"));
        say("%s:%n    %s", config, String.join("\n    ", Files.readAllLines(config)));
        List<String> mount = List.of(mounter.dist().bin("kubelet-mounter").toString(), "mount", "-t", "glusterfs",
                "-o", "log-level=WARNING", volume.source(), target.toString());
        say("$ %s", String.join(" ", mount));
        CommandResult result = host.command(mount).withEnvironment(Map.of(
                "PATH", MountContainer.BASE_ENVIRONMENT.get("PATH"), "KUBELET_MOUNTER_CONFIG", config.toString()))
                .run();
        say("exit %d in %d ms", result.exitStatus(), result.elapsed().toMillis());

        section("where the mount is");
        say("host mountinfo:      %s", mountinfoLine(host.pid(), target));
        say("container mountinfo: %s", container.isMounted(target) ? "present (unexpected)" : "absent, as intended");

        ProcessInfo daemon = Processes.findInPidNamespace(container.pidNamespaceInode(),
                p -> p.comm().equals("glusterfs") && p.cmdline().contains(target.toString()))
                .orElseThrow(() -> new IllegalStateException("no glusterfs daemon in the container"));
        say("FUSE daemon:         pid %d (%s), pid ns %d = the container's %d", daemon.pid(), daemon.comm(),
                Processes.pidNamespaceInode(daemon.pid()), container.pidNamespaceInode());

        section("file round trip from the host namespace");
        String text = "hello from the host namespace at " + java.time.Instant.now();
        host.run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", text, target.resolve("hello.txt").toString());
        say("wrote   %s", target.resolve("hello.txt"));
        say("brick   %s: %s", volume.brick().resolve("hello.txt"), Files.readString(volume.brick().resolve("hello.txt")));
        say("read    %s", host.run("cat", target.resolve("hello.txt").toString()).stdout());

        section("mounterctl list (in the container)");
        System.out.print(container.run(mounter.dist().bin("mounterctl").toString(), "list").stdout());

        section("kubelet unmounts on the host");
        host.run("umount", target.toString());
        boolean exited = Processes.waitForExit(daemon.pid(), Duration.ofSeconds(15));
        say("host mountinfo: %s; daemon pid %d %s", host.isMounted(target) ? "still mounted" : "gone",
                daemon.pid(), exited ? "exited" : "STILL RUNNING");
        if (!exited) {
            throw new IllegalStateException("the daemon outlived its mount");
        }
    }

    private static String mountinfoLine(long pid, Path target) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo")).stream()
                .filter(line -> line.contains(" " + target + " "))
                .findFirst().orElse("MISSING");
    }

    private static void section(String title) {
        System.out.println("\n== " + title);
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}

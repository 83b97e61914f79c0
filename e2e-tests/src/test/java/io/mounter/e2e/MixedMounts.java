package io.mounter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.node.CommandResult;
import io.mounter.node.GlusterVolume;
import io.mounter.node.SshServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Mounts made through the image as kubelet and people make them, a mix of the FUSE kinds
 * a node carries: bindfs ({@code docker exec ... bindfs}), sshfs ({@code mounterctl mount})
 * and glusterfs ({@code docker exec ... mount -t glusterfs}), each with a file written
 * through it on the host.
 */
final class MixedMounts {
    static final int BINDFS = 14;
    static final int SSHFS = 4;
    static final int GLUSTERFS = 2;

    /** A mount made through the image, with a file written through it on the host. */
    record Served(Path target, String fileName, String content) {
        Path file() {
            return target.resolve(fileName);
        }
    }

    /** Runs a command somewhere (the host, a pod) and gives its result whatever the exit status. */
    interface Place {
        CommandResult exec(String... argv);
    }

    private MixedMounts() {
    }

    /** 20 mounts: {@value #BINDFS} bindfs, {@value #SSHFS} sshfs, {@value #GLUSTERFS} glusterfs; volumes named {@code name-N}. */
    static List<Served> mountTwenty(DockerNode node, String name) {
        List<Served> mounts = new ArrayList<>();
        for (int i = 0; i < BINDFS; i++) {
            mounts.add(bindfs(node, node.newDirectory(name + "-bindfs-source"), name + "-bindfs-" + i));
        }
        for (int i = 0; i < SSHFS; i++) {
            mounts.add(sshfs(node, name + "-sshfs-" + i));
        }
        for (int i = 0; i < GLUSTERFS; i++) {
            GlusterVolume volume = node.gluster().createVolume(name + "-" + i);
            Path target = node.newVolumeDir("kubernetes.io~glusterfs/" + name + "-" + i);
            node.container().exec("mount", "-t", "glusterfs", volume.source(), target.toString()).requireSuccess();
            mounts.add(writeThrough(node, target));
        }
        return mounts;
    }

    static Served bindfs(DockerNode node, Path source, String volume) {
        Path target = node.newVolumeDir(volume);
        node.container().exec("bindfs", source.toString(), target.toString()).requireSuccess();
        return writeThrough(node, target);
    }

    static Served sshfs(DockerNode node, String volume) {
        SshServer ssh = node.ssh();
        Path target = node.newVolumeDir(volume);
        node.container().exec("mounterctl", "mount", "-t", "fuse.sshfs", "-o", ssh.sshfsOptions(), ssh.source(),
                target.toString()).requireSuccess();
        return writeThrough(node, target);
    }

    private static Served writeThrough(DockerNode node, Path target) {
        assertTrue(node.host().isMounted(target), () -> "not mounted on the host: " + target);
        Served served = new Served(target, "probe-" + UUID.randomUUID() + ".txt", "through " + target);
        node.host().run("sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", served.content(), served.file().toString());
        return served;
    }

    /**
     * Reads each file in one process at {@code place}, which fails on the first that does
     * not hold its content.
     */
    static CommandResult readAll(Place place, Map<Path, String> contentByFile) {
        StringBuilder script = new StringBuilder("set -e\n");
        List<String> args = new ArrayList<>(List.of("sh", "-c", "", "sh"));
        int i = 0;
        for (Map.Entry<Path, String> expected : contentByFile.entrySet()) {
            String file = "${" + (2 * i + 1) + "}"; // ${10}, not $10: that is $1 then 0
            String content = "${" + (2 * i + 2) + "}";
            script.append("[ \"$(cat \"").append(file).append("\")\" = \"").append(content)
                    .append("\" ] || { echo \"does not serve: ").append(file).append("\" >&2; exit 1; }\n");
            args.add(expected.getKey().toString());
            args.add(expected.getValue());
            i++;
        }
        args.set(2, script.toString());
        return place.exec(args.toArray(String[]::new));
    }

    /** Each mount's file on the host, with its content. */
    static Map<Path, String> onTheHost(List<Served> mounts) {
        Map<Path, String> files = new LinkedHashMap<>();
        mounts.forEach(m -> files.put(m.file(), m.content()));
        return files;
    }

    static void assertAllServe(DockerNode node, List<Served> mounts) {
        CommandResult read = readAll(node.host()::exec, onTheHost(mounts));
        assertTrue(read.succeeded(), read::describe);
    }

    /** Unmounts each on the host, as kubelet does, and checks that none is left. */
    static void unmountAll(DockerNode node, List<Served> mounts) {
        Map<Path, CommandResult> failed = new LinkedHashMap<>();
        for (Served m : mounts) {
            CommandResult umount = node.host().exec("umount", m.target().toString());
            if (!umount.succeeded()) {
                failed.put(m.target(), umount);
            }
        }
        assertEquals(Map.of(), failed);
        assertTrue(mounts.stream().noneMatch(m -> Files.exists(m.file())));
    }
}

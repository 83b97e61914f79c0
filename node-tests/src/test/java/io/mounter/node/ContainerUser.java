package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** uid 65534 in the mount container of a node: a daemon that dropped privileges, or a compromised one. */
record ContainerUser(MounterNode node) {
    static final int UID = 65534;
    private static final List<String> AS_USER = List.of("setpriv", "--reuid=" + UID, "--regid=" + UID,
            "--clear-groups");

    /** argv run as the user. */
    static List<String> asUser(String... argv) {
        List<String> all = new ArrayList<>(AS_USER);
        all.addAll(List.of(argv));
        return all;
    }

    /**
     * Gives the directory to the user, and lets the user through every directory above it
     * up to the node's (a temporary directory, 0700).
     */
    Path own(Path dir) throws IOException {
        Command.of("chown", UID + ":" + UID, dir.toString()).run();
        for (Path p = dir.getParent(); p.startsWith(node.node().directory()); p = p.getParent()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(p);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(p, permissions);
        }
        return dir;
    }

    /** A copy of the node's ssh client key that the user may read. */
    Path sshKey(String name) throws IOException {
        Path key = own(node.node().newDirectory(name)).resolve("client_key");
        Command.of("install", "-o", Integer.toString(UID), "-g", Integer.toString(UID), "-m", "600",
                node.node().ssh().clientKey().toString(), key.toString()).run();
        return key;
    }

    /** Writes the container's /etc/fuse.conf; {@link #imagesFuseConf} puts the image's back. */
    void fuseConf(String content) {
        node.container().command(List.of("sh", "-c", "printf '%s' \"$1\" > " + MounterNode.FUSE_CONF, "sh", content))
                .run();
    }

    void imagesFuseConf() {
        node.container().run("cp", node.dist().root().resolve("etc/fuse.conf").toString(), MounterNode.FUSE_CONF);
    }
}

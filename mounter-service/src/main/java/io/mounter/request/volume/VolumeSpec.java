package io.mounter.request.volume;

import io.mounter.request.HelperInput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to mount for a volume, from its context (a PersistentVolume's volumeAttributes or an
 * inline volume's attributes), the capability's mount flags and its secrets:
 * {@code fstype} and {@code source} as the helper takes them, {@code options} comma-separated.
 * Each secret becomes an option {@code key=value}, except those a helper reads as a file or
 * on stdin, which are never on a command line: sshfs's {@code password} (on stdin, with
 * {@code password_stdin}), an ssh key {@code ssh-privatekey} (a kubernetes.io/ssh-auth
 * Secret's key: {@code IdentityFile=FILE}) and an rclone config {@code rclone.conf}
 * ({@code config=FILE}), the files in a tmpfs of the helper's own ({@link HelperInput}).
 *
 * @param input what the helper reads on stdin and as files
 * @param secretsInOptions whether a secret is among the options (the daemon's command line
 *     may then hold it, and is not kept in the state file)
 */
public record VolumeSpec(String fstype, String source, String options, HelperInput input, boolean secretsInOptions) {
    /** Secrets a helper reads as files: the key, and the option naming the file. */
    static final Map<String, String> FILE_SECRETS = Map.of("ssh-privatekey", "IdentityFile", "rclone.conf", "config");
    public static final String FSTYPE = "fstype";
    public static final String SOURCE = "source";
    public static final String OPTIONS = "options";
    /** Set by kubelet for a pod's inline (ephemeral) CSI volume. */
    public static final String EPHEMERAL = "csi.storage.k8s.io/ephemeral";

    /**
     * @throws VolumeError INVALID_ARGUMENT when the context lacks fstype or source
     */
    public static VolumeSpec of(Map<String, String> context, List<String> mountFlags, Map<String, String> secrets) {
        String fstype = required(context, FSTYPE);
        String source = required(context, SOURCE);
        List<String> options = new ArrayList<>();
        String given = context.getOrDefault(OPTIONS, "");
        if (!given.isBlank()) {
            options.add(given.strip());
        }
        mountFlags.stream().filter(flag -> !flag.isBlank()).forEach(options::add);
        byte[] stdin = null;
        Map<String, String> files = new TreeMap<>();
        for (Map.Entry<String, String> secret : new TreeMap<>(secrets).entrySet()) {
            String fileOption = FILE_SECRETS.get(secret.getKey());
            if (isSshfs(fstype) && secret.getKey().equals("password")) {
                options.add("password_stdin");
                stdin = (secret.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            } else if (fileOption != null) {
                files.put(secret.getKey(), secret.getValue());
                options.add(fileOption + "=" + HelperInput.pathOf(secret.getKey()));
            } else {
                options.add(secret.getKey() + "=" + secret.getValue());
            }
        }
        boolean secretsInOptions = secrets.keySet().stream()
                .anyMatch(key -> !FILE_SECRETS.containsKey(key) && !(isSshfs(fstype) && key.equals("password")));
        return new VolumeSpec(fstype, source, String.join(",", options), new HelperInput(stdin, files), secretsInOptions);
    }

    private static boolean isSshfs(String fstype) {
        return fstype.equals("sshfs") || fstype.equals("fuse.sshfs");
    }

    private static String required(Map<String, String> context, String key) {
        String value = context.get(key);
        if (value == null || value.isBlank()) {
            throw VolumeError.invalid("the volume context lacks " + key + " (a PersistentVolume's volumeAttributes,"
                    + " or an inline volume's attributes: fstype, source, options)");
        }
        return value;
    }

    /** Whether the volume is a pod's inline volume: published without staging. */
    public static boolean isEphemeral(Map<String, String> context) {
        return "true".equals(context.get(EPHEMERAL));
    }

    /**
     * Whether the kernel shows a mount of this helper type so: T itself, or fuse.T; for
     * {@code fuse} (mount.fuse, the daemon named in the source as DAEMON#SOURCE) any fuse.X.
     */
    boolean landsAs(String shown) {
        if (fstype.equals("fuse")) {
            return shown.startsWith("fuse.");
        }
        return shown.equals(fstype) || shown.equals("fuse." + fstype);
    }

    /** The source the mount shows: mount.fuse's DAEMON#SOURCE mounts SOURCE. */
    String shownSource() {
        int hash = source.indexOf('#');
        return fstype.equals("fuse") && hash >= 0 ? source.substring(hash + 1) : source;
    }

    @Override
    public String toString() { // the input may be a password, and the options hold secrets
        return "VolumeSpec[" + fstype + "]";
    }
}

package io.mounter.request.volume;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to mount for a volume, from its context (a PersistentVolume's volumeAttributes or an
 * inline volume's attributes), the capability's mount flags and its secrets:
 * {@code fstype} and {@code source} as the helper takes them, {@code options} comma-separated.
 * Each secret becomes an option {@code key=value}, except sshfs's {@code password}, which
 * the helper reads on stdin ({@code password_stdin}): never on a command line.
 *
 * @param input what the helper reads on stdin, or null
 */
public record VolumeSpec(String fstype, String source, String options, byte[] input) {
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
        byte[] input = null;
        for (Map.Entry<String, String> secret : new TreeMap<>(secrets).entrySet()) {
            if (isSshfs(fstype) && secret.getKey().equals("password")) {
                options.add("password_stdin");
                input = (secret.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            } else {
                options.add(secret.getKey() + "=" + secret.getValue());
            }
        }
        return new VolumeSpec(fstype, source, String.join(",", options), input);
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

package io.mounter.request;

import java.util.Map;

/**
 * What a helper gets besides its command line, so that no secret is on it: bytes on its
 * stdin (sshfs's password_stdin), and files (an ssh key, an rclone config) in a tmpfs of the
 * helper's own mount namespace, {@link #SECRETS_DIR}, removed when the helper exits.
 *
 * @param stdin null for none
 * @param files file name (letters, digits, . - _) to content (text: no NUL)
 */
public record HelperInput(byte[] stdin, Map<String, String> files) {
    /** Where the helper finds the files: a tmpfs only its mount namespace has. */
    public static final String SECRETS_DIR = "/run/mounter-secrets";
    public static final HelperInput NONE = new HelperInput(null, Map.of());

    public HelperInput {
        files = Map.copyOf(files);
        for (Map.Entry<String, String> file : files.entrySet()) {
            if (!file.getKey().matches("[A-Za-z0-9._-]{1,64}") || file.getKey().startsWith(".")
                    || file.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a secret file needs a plain name and text content: " + file.getKey());
            }
        }
    }

    /** The path the helper reads the file {@code name} from. */
    public static String pathOf(String name) {
        return SECRETS_DIR + "/" + name;
    }

    @Override
    public String toString() { // the content is secret
        return "HelperInput[stdin " + (stdin == null ? "none" : stdin.length + " bytes") + ", files " + files.keySet() + "]";
    }
}

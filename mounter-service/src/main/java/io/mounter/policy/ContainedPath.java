package io.mounter.policy;

import io.mounter.linux.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * A target path split into the allowed prefix that holds it and the rest below it. Only
 * lexical: the caller resolves {@link #relative()} beneath the prefix in the host
 * namespace without following symlinks.
 */
public record ContainedPath(String prefix, String relative) {

    public String full() {
        return prefix.equals("/") ? "/" + relative : prefix + "/" + relative;
    }

    /** The components of {@link #relative()} but the last; empty when it is one name. */
    public String parentRelative() {
        int slash = relative.lastIndexOf('/');
        return slash < 0 ? "" : relative.substring(0, slash);
    }

    public String name() {
        return relative.substring(relative.lastIndexOf('/') + 1);
    }

    /**
     * Normalises an absolute path: repeated and trailing slashes collapse. Refuses relative
     * paths and "." or ".." components, which could walk out of a prefix.
     */
    public static String normalize(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new Refusal(Errno.EINVAL, "path must be absolute: " + path);
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.equals(".") || part.equals("..")) {
                throw new Refusal(Errno.EPERM, "path must not contain . or .. components: " + path);
            }
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** The target under the first prefix that holds it strictly below itself. */
    public static ContainedPath within(String target, List<String> prefixes) {
        String normal = normalize(target);
        for (String prefix : prefixes) {
            String base = prefix.equals("/") ? "/" : prefix + "/";
            if (normal.startsWith(base) && normal.length() > base.length()) {
                return new ContainedPath(prefix, normal.substring(base.length()));
            }
        }
        throw new Refusal(Errno.EPERM, "target " + normal + " is not under an allowed prefix " + prefixes);
    }
}

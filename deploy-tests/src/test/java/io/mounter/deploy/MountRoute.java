package io.mounter.deploy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One kubelet-mounter route, {@code --mount-container=FSTYPE:SELECTOR:CONTAINER} with
 * SELECTOR as {@code KEY=VALUE[,KEY=VALUE...]} pod labels (kubelet-patch/README.md).
 */
record MountRoute(String fstype, Map<String, String> selector, String container) {

    static final String FLAG = "--mount-container=";

    /** Parses FSTYPE:SELECTOR:CONTAINER (the flag's value); fails on anything else. */
    static MountRoute parse(String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new IllegalArgumentException("not FSTYPE:SELECTOR:CONTAINER: " + spec);
        }
        Map<String, String> selector = new LinkedHashMap<>();
        for (String term : parts[1].split(",", -1)) {
            int equals = term.indexOf('=');
            if (equals <= 0 || term.indexOf('=', equals + 1) >= 0) {
                throw new IllegalArgumentException("selector term is not KEY=VALUE: " + term + " in " + spec);
            }
            selector.put(term.substring(0, equals), term.substring(equals + 1));
        }
        return new MountRoute(parts[0], Map.copyOf(selector), parts[2]);
    }
}

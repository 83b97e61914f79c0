package io.mounter.policy;

import io.mounter.linux.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * A mount(2) option string split the way the kernel's parsers split it: on commas, each
 * option {@code key} or {@code key=value}. Immutable.
 */
public final class MountOptions {
    private final List<String> options;

    private MountOptions(List<String> options) {
        this.options = List.copyOf(options);
    }

    public static MountOptions parse(String data) {
        List<String> options = new ArrayList<>();
        if (data != null && !data.isEmpty()) {
            for (String option : data.split(",", -1)) {
                if (option.isEmpty()) {
                    throw new Refusal(Errno.EINVAL, "empty option in option string");
                }
                options.add(option);
            }
        }
        return new MountOptions(options);
    }

    /** The values of every {@code key=value} option with this key, in order. */
    public List<String> values(String key) {
        List<String> values = new ArrayList<>();
        for (String option : options) {
            if (option.startsWith(key + "=")) {
                values.add(option.substring(key.length() + 1));
            }
        }
        return values;
    }

    /**
     * Options with the value of {@code key} replaced (every {@code key=...}, as
     * {@link #values} finds them). A bare {@code key} without '=' stays as it is: turning it
     * into a second {@code fd=} would make an option string the kernel refuses acceptable.
     */
    public MountOptions with(String key, String value) {
        List<String> replaced = new ArrayList<>(options.size());
        for (String option : options) {
            replaced.add(option.startsWith(key + "=") ? key + "=" + value : option);
        }
        return new MountOptions(replaced);
    }

    /** Options without any {@code key=...}. */
    public MountOptions without(String key) {
        return new MountOptions(options.stream().filter(option -> !option.startsWith(key + "=")).toList());
    }

    /**
     * The option string with credential values replaced by {@code <masked>}
     * ({@link CredentialMask#options}: the value of {@code password="a,b"}, which this class
     * splits at the comma, is masked whole).
     */
    public String masked() {
        return CredentialMask.options(toString());
    }

    /**
     * Masks credentials in an option string for a log ({@link CredentialMask#options}); one
     * the kernel would refuse (an empty option) shows as {@code <unparsable options>}.
     * Null becomes "".
     */
    public static String mask(String data) {
        if (data == null) {
            return "";
        }
        try {
            parse(data);
        } catch (Refusal e) {
            return "<unparsable options>";
        }
        return CredentialMask.options(data);
    }

    @Override
    public String toString() {
        return String.join(",", options);
    }
}

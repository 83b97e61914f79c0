package io.mounter.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * /proc/PID/mountinfo (proc(5)) parsed into lines, with the kernel's octal escapes
 * ({@code \040} for a space, {@code \011} tab, {@code \012} newline, {@code \134}
 * backslash) decoded. Mount points are relative to the root of the process that opened
 * the file.
 */
public final class MountInfo {
    private MountInfo() {
    }

    /**
     * One mount. {@code fstype} is as the kernel shows it: a FUSE mount with a subtype
     * reads {@code fuse.SUBTYPE}; {@code source} is "none" for a mount without one.
     * {@code mountOptions} are the per-mount options ({@code rw,nosuid,nodev,relatime}),
     * {@code optionalFields} the propagation tags before the " - " ({@code shared:1},
     * {@code master:2}, none for a private mount), {@code superOptions} the options of the
     * filesystem ({@code rw,user_id=0,group_id=0}), octal escapes decoded like the paths.
     */
    public record Entry(int id, int parentId, DeviceNumber device, String root, String mountPoint,
                        String fstype, String source, String mountOptions, List<String> optionalFields,
                        String superOptions) {

        public Entry {
            optionalFields = List.copyOf(optionalFields);
        }

        /** A mount described by the fields mounterd reads; no options and no optional fields. */
        public Entry(int id, int parentId, DeviceNumber device, String root, String mountPoint, String fstype,
                     String source) {
            this(id, parentId, device, root, mountPoint, fstype, source, "", List.of(), "");
        }
    }

    /**
     * The topmost mount at {@code mountPoint}, the one a path walk enters: no other mount on
     * that path sits on it. Not simply the last line: a mount put beneath another
     * (move_mount MOVE_MOUNT_BENEATH) is listed after it.
     */
    public static Optional<Entry> topmostAt(List<Entry> entries, String mountPoint) {
        List<Entry> stacked = entries.stream().filter(e -> e.mountPoint().equals(mountPoint)).toList();
        return stacked.stream().filter(e -> stacked.stream().noneMatch(other -> other.parentId() == e.id()))
                .reduce((first, second) -> second);
    }

    /**
     * Parses mountinfo text, line by line.
     *
     * @throws IllegalArgumentException naming the first line that is not mountinfo
     */
    public static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                entries.add(parseLine(line));
            }
        }
        return entries;
    }

    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    // The optional fields before " - " vary in number; nothing else holds a bare "-" field.
    private static Entry parseLine(String line) {
        String[] fields = line.split(" ");
        int separator = -1;
        for (int i = 6; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                separator = i;
                break;
            }
        }
        if (separator < 0 || fields.length < separator + 3) {
            throw new IllegalArgumentException("not a mountinfo line: " + line);
        }
        try {
            String[] device = fields[2].split(":");
            if (device.length != 2) {
                throw new IllegalArgumentException("not a mountinfo line (device): " + line);
            }
            return new Entry(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]),
                    new DeviceNumber(Integer.parseInt(device[0]), Integer.parseInt(device[1])),
                    unescape(fields[3]), unescape(fields[4]), unescape(fields[separator + 1]),
                    unescape(fields[separator + 2]), fields[5],
                    Arrays.asList(fields).subList(6, separator),
                    // split drops a trailing empty field: no super options at all reads as ""
                    fields.length > separator + 3 ? unescape(fields[separator + 3]) : "");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a mountinfo line: " + line, e);
        }
    }

    /** Decodes {@code \ooo} escapes; a backslash not followed by three octal digits stays. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(field.length());
        byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\\' && i + 3 < bytes.length && isOctal(bytes[i + 1]) && isOctal(bytes[i + 2])
                    && isOctal(bytes[i + 3])) {
                out.write((bytes[i + 1] - '0') * 64 + (bytes[i + 2] - '0') * 8 + (bytes[i + 3] - '0'));
                i += 3;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }
}

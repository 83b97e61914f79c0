package io.mounter.fuzz;

import io.mounter.linux.MountFlags;
import io.mounter.policy.AttachedDescriptor;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Request;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates what a hostile or broken client could send: request messages that are nearly
 * right (one field, one byte, one length off), then mutated; and mount requests aimed at the
 * edges of the policy (targets with "." and "..", sibling prefixes, repeated or forged
 * {@code fd=}, option strings near one page, forbidden flags). Built byte by byte, not with
 * {@link MessageCodec}, so it can write what the codec never would. Tag numbers and sizes
 * are docs/protocol.md's.
 */
public final class HostileInput {
    public static final String PODS = "/var/lib/kubelet/pods";
    public static final String PLUGINS = "/var/lib/kubelet/plugins";

    private static final int MAX_REQUEST = 16384;
    private static final int[] KNOWN_TAGS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18};
    private static final String[] TARGET_STARTS = {
        PODS, PODS, PODS, PLUGINS, PODS + "/", "//var//lib/kubelet/pods", PODS + "-evil", PODS + "x",
        "/var/lib/kubelet", "/var/lib/kubelet/pods/..", "/", "", "var/lib/kubelet/pods", "/etc", "/proc/self/root" + PODS,
        "/var/lib/kubelet/./pods", "/var/lib/kubelet/pods/.", "/VAR/lib/kubelet/pods",
    };
    private static final String[] COMPONENTS = {
        "uid", "volumes", "v", "kubernetes.io~glusterfs", "data", ".", "..", "", "...", ".hidden", "..x", "x..",
        "a b", "\\", "%2e%2e", "é", "\u202e", "\ud800", "\u0000", "..\u0000", "x".repeat(255), "x".repeat(256), "/",
    };
    private static final String[] FSTYPES = {
        "fuse", "fuse.sshfs", "fuse.glusterfs", "fuse.bindfs", "fuse.rclone", "fuseblk", "fuseblk.x", "tmpfs",
        "fuse.", "FUSE", "fuse.notallowed", "ext4", "proc", "overlay", "", " fuse", "fuse\u0000", "é", "x".repeat(255),
    };
    private static final String[] OPTIONS = {
        "rootmode=40000", "user_id=0", "group_id=0", "allow_other", "default_permissions", "max_read=131072",
        "size=1m", "mode=0755", "password=hunter2", "a=b=c", "fd=", "fd", "FD=3", " fd=3", "fd =3", "fd=0x3",
        "fd=+3", "fd=03", "fd=-1", "fd=4294967299", "fd=3 ", "fsname=x", "subtype=y", "é=ü", "=", "rootmode",
    };

    private final Random random;

    public HostileInput(Random random) {
        this.random = random;
    }

    // ---- whole messages ---------------------------------------------------------------------

    /**
     * A request message: a structured one with random fields, often mutated, sometimes plain
     * noise. Mostly at most 16384 bytes, as the socket delivers; a few larger.
     */
    public byte[] message() {
        int shape = random.nextInt(100);
        if (shape < 4) {
            return noise(random.nextInt(64) == 0 ? random.nextInt(20_000) : random.nextInt(64));
        }
        byte[] message = structured();
        if (shape < 40) {
            return message;
        }
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            message = mutate(message);
        }
        return message;
    }

    private byte[] noise(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A header and fields that mostly belong to the operation, with values from the edge. */
    public byte[] structured() {
        ByteBuffer out = ByteBuffer.allocate(4 * MAX_REQUEST).order(ByteOrder.LITTLE_ENDIAN);
        out.put(random.nextInt(40) == 0 ? noise(4) : new byte[] {'M', 'N', 'T', 'R'});
        out.putShort((short) (random.nextInt(30) == 0 ? random.nextInt(65536) : 1));
        int kind = random.nextInt(20) == 0 ? random.nextInt(65536) : 1 + random.nextInt(5);
        out.putShort((short) (random.nextInt(40) == 0 ? kind | 0x8000 : kind));
        out.putInt(random.nextInt());
        out.putInt(random.nextInt(30) == 0 ? random.nextInt() : 0);
        for (int tag : fieldsFor(kind & 0x7fff)) {
            byte[] value = valueFor(tag);
            int length = random.nextInt(50) == 0 ? random.nextInt(65536) : value.length;
            if (out.remaining() < 4 + value.length) {
                break;
            }
            out.putShort((short) tag).putShort((short) length).put(value);
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private List<Integer> fieldsFor(int kind) {
        List<Integer> tags = new ArrayList<>(switch (kind) {
            case 1 -> List.of(1, 2, 3, 4, 5, 6);
            case 2 -> List.of(2, 7);
            case 3 -> List.of(8);
            case 4 -> List.of(1, 2, 3, 5, 16);
            default -> List.<Integer>of();
        });
        tags.removeIf(tag -> random.nextInt(8) == 0);
        int extra = random.nextInt(6) == 0 ? 1 + random.nextInt(3) : 0;
        for (int i = 0; i < extra; i++) {
            int tag = random.nextBoolean() ? KNOWN_TAGS[random.nextInt(KNOWN_TAGS.length)] : random.nextInt(65536);
            tags.add(random.nextInt(tags.size() + 1), tag);
        }
        if (!tags.isEmpty() && random.nextInt(20) == 0) {
            tags.add(tags.get(random.nextInt(tags.size()))); // a duplicate
        }
        return tags;
    }

    private byte[] valueFor(int tag) {
        return switch (tag) {
            case 1 -> stringBytes(random.nextBoolean() ? "127.0.0.2:/v1" : anyText(4200));
            case 2 -> stringBytes(target());
            case 3 -> stringBytes(fstype());
            case 4, 13 -> number(8, flags());
            case 5 -> stringBytes(String.valueOf(options(3, 3)));
            case 6, 7, 8, 11, 12, 14, 16, 17 -> number(4, random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(16));
            default -> stringBytes(anyText(random.nextInt(10) == 0 ? 9000 : 100));
        };
    }

    /** UTF-8 of the text, sometimes with an invalid sequence or a NUL spliced in. */
    private byte[] stringBytes(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0 && random.nextInt(25) == 0) {
            bytes[random.nextInt(bytes.length)] = (byte) (random.nextBoolean() ? 0 : 0x80 | random.nextInt(0x80));
        }
        return bytes;
    }

    /** A u32 or u64 field value, sometimes of the wrong size. */
    private byte[] number(int size, long value) {
        int actual = random.nextInt(30) == 0 ? random.nextInt(10) : size;
        ByteBuffer out = ByteBuffer.allocate(Math.max(actual, 8)).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return Arrays.copyOf(out.array(), actual);
    }

    private String anyText(int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(random.nextInt(10) == 0 ? (char) random.nextInt(0x3000) : (char) (' ' + random.nextInt(95)));
        }
        return text.toString();
    }

    /** One mutation: bit flip, interesting byte, cut, insertion, splice, length lie, duplicated run. */
    public byte[] mutate(byte[] message) {
        if (message.length == 0) {
            return noise(random.nextInt(32));
        }
        byte[] out = message.clone();
        int at = random.nextInt(out.length);
        switch (random.nextInt(8)) {
            case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> out[at] = (byte) new int[] {0, 0xff, 0x7f, 0x80, 0xc0, 0x2f, 0x2e, 0x2c, 0x3d}[random.nextInt(9)];
            case 2 -> out = Arrays.copyOf(out, at);
            case 3 -> {
                byte[] inserted = noise(1 + random.nextInt(16));
                out = concat(Arrays.copyOf(out, at), inserted, Arrays.copyOfRange(out, at, out.length));
            }
            case 4 -> out = concat(Arrays.copyOf(out, at), Arrays.copyOfRange(structured(), Math.min(16,
                    out.length), Math.max(16, out.length)));
            case 5 -> {
                if (out.length >= 20) {
                    int field = 16 + random.nextInt(out.length - 19);
                    int length = random.nextInt(3) == 0 ? 0xffff : random.nextInt(64);
                    out[field + 2] = (byte) length;
                    out[field + 3] = (byte) (length >>> 8);
                }
            }
            case 6 -> {
                int from = random.nextInt(out.length);
                int to = Math.min(out.length, from + 1 + random.nextInt(64));
                out = concat(Arrays.copyOf(out, to), Arrays.copyOfRange(out, from, out.length));
            }
            default -> {
                int from = random.nextInt(out.length);
                out = concat(Arrays.copyOf(out, from), Arrays.copyOfRange(out, Math.min(out.length, from
                        + 1 + random.nextInt(8)), out.length));
            }
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    // ---- mount requests for the policy -------------------------------------------------------

    /**
     * A MOUNT as the decoder hands it to the policy: half start from a request that passes
     * (a FUSE mount with its /dev/fuse announced and named in {@code fd=}) and change one to
     * three things, the rest are drawn freely.
     */
    public Request.Mount mountRequest(int localFd) {
        if (random.nextBoolean()) {
            int senderFd = senderFd();
            return new Request.Mount(random.nextInt(), source(), target(), fstype(), flags(),
                    options(senderFd, localFd), senderFd);
        }
        int senderFd = 3 + random.nextInt(8);
        String source = "127.0.0.2:/v1";
        String target = PODS + "/uid/volumes/v";
        String fstype = "fuse.sshfs";
        long flags = MountFlags.MS_NOSUID | MountFlags.MS_NODEV;
        String data = "fd=" + senderFd + ",rootmode=40000,user_id=0,group_id=0";
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes; i++) {
            switch (random.nextInt(6)) {
                case 0 -> target = target();
                case 1 -> fstype = fstype();
                case 2 -> flags = flags();
                case 3 -> data = options(senderFd, localFd);
                case 4 -> senderFd = senderFd();
                default -> source = source();
            }
        }
        return new Request.Mount(random.nextInt(), source, target, fstype, flags, data, senderFd);
    }

    /** The descriptor mounterd would have received with it: none, /dev/fuse or something else. */
    public AttachedDescriptor descriptor(int localFd) {
        int shape = random.nextInt(10);
        if (shape < 2) {
            return null;
        }
        return new AttachedDescriptor(localFd, shape < 8);
    }

    public int localFd() {
        return random.nextInt(4) == 0 ? random.nextInt(100_000) : 3 + random.nextInt(30);
    }

    private int senderFd() {
        int shape = random.nextInt(10);
        if (shape < 2) {
            return -1;
        }
        return shape < 8 ? random.nextInt(12) : random.nextInt(Integer.MAX_VALUE);
    }

    private String source() {
        return switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> anyText(100);
            default -> "127.0.0.2:/v1";
        };
    }

    /** A target path: a prefix, a sibling of one or something else, then odd components. */
    public String target() {
        if (random.nextInt(40) == 0) {
            return anyText(random.nextInt(5) == 0 ? 4200 : 60);
        }
        StringBuilder path = new StringBuilder(TARGET_STARTS[random.nextInt(TARGET_STARTS.length)]);
        int components = random.nextInt(6);
        for (int i = 0; i < components; i++) {
            path.append(random.nextInt(6) == 0 ? "//" : "/").append(random.nextInt(3) == 0
                    ? COMPONENTS[random.nextInt(COMPONENTS.length)] : new String[] {"uid", "volumes", "v"}[i % 3]);
        }
        if (random.nextInt(8) == 0) {
            path.append(random.nextBoolean() ? "/" : "/.");
        }
        return path.toString();
    }

    public String fstype() {
        return random.nextInt(15) == 0 ? anyText(20) : FSTYPES[random.nextInt(FSTYPES.length)];
    }

    /** Allowed flags, forbidden ones, unknown bits and the MS_MGC_VAL magic, mixed. */
    public long flags() {
        int shape = random.nextInt(10);
        if (shape == 0) {
            return random.nextLong();
        }
        long flags = 0;
        int bits = random.nextInt(4);
        for (int i = 0; i < bits; i++) {
            flags |= 1L << random.nextInt(shape == 1 ? 64 : 26);
        }
        if (random.nextBoolean()) {
            flags |= MountFlags.MS_NOSUID | MountFlags.MS_NODEV;
        }
        if (random.nextInt(5) == 0) {
            flags |= MountFlags.MS_MGC_VAL;
        }
        return flags;
    }

    /** An option string with fd= right, wrong, repeated or missing; sometimes near a page long. */
    public String options(int senderFd, int localFd) {
        if (random.nextInt(20) == 0) {
            return random.nextBoolean() ? null : "";
        }
        List<String> options = new ArrayList<>();
        int count = random.nextInt(6);
        for (int i = 0; i < count; i++) {
            options.add(OPTIONS[random.nextInt(OPTIONS.length)]);
        }
        int fds = random.nextInt(10) < 7 ? 1 : random.nextInt(3) * (random.nextBoolean() ? 1 : 2);
        for (int i = 0; i < fds; i++) {
            int value = switch (random.nextInt(6)) {
                case 0 -> localFd;
                case 1 -> random.nextInt(1000);
                default -> senderFd;
            };
            options.add(random.nextInt(options.size() + 1), "fd=" + value);
        }
        if (random.nextInt(8) == 0) {
            // close to the kernel's page: fd= rewritten to a longer number may cross it
            int used = String.join(",", options).length();
            options.add("fsname=" + "x".repeat(Math.max(0, 4090 - used - random.nextInt(12))));
        }
        String data = String.join(",", options);
        if (random.nextInt(20) == 0) {
            data = random.nextBoolean() ? "," + data : data + ",";
        }
        return data;
    }
}

package io.mounter.table;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.PrivateDirectory;
import io.mounter.policy.MountSource;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * mounterd's state file, {@code mounts.json} in the state directory: how often mounterd
 * has started on this node, the mounts it holds (source, target, fstype, requester, time,
 * device) and, for each FUSE target, the command line of the daemon that served it, to run
 * again should it die. No mount options, and sources with a password masked (a restart
 * takes the source back from the host's mountinfo); a command is kept as the daemon ran it,
 * credentials included, which is why the file is the owner's alone and commands are read
 * back only from a directory nobody else may write (see {@link #isPrivate}).
 *
 * <p>A save is atomic and durable: the new content goes to a temporary file in the same
 * directory, which is fsynced and renamed over the old one, and the directory is fsynced,
 * so after a crash or power loss the file is either the old or the new state, never a mix.
 */
class StateStore {
    static final String FILE = "mounts.json";
    static final String BAD_SUFFIX = ".bad";
    private static final String TEMPORARY = FILE + ".tmp";
    private static final int VERSION = 1;
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path directory;
    private final JSON json = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    StateStore(Path directory) {
        this.directory = directory;
    }

    /** What the file holds. */
    record State(long starts, List<MountRecord> mounts, Map<String, List<String>> commands) {
        static final State EMPTY = new State(0, List.of());

        State {
            mounts = List.copyOf(mounts);
            commands = Map.copyOf(commands);
        }

        State(long starts, List<MountRecord> mounts) {
            this(starts, mounts, Map.of());
        }
    }

    /** Content that is not a state file mounterd wrote (truncated, edited, another version). */
    static final class CorruptStateException extends IOException {
        CorruptStateException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    Path file() {
        return directory.resolve(FILE);
    }

    /**
     * Whether the directory is mounterd's (root's) alone ({@link PrivateDirectory}): only then may
     * saved commands be run again (as root). Otherwise whoever can write the directory could
     * put a file of their own there.
     */
    boolean isPrivate() {
        try {
            return PrivateDirectory.problem(directory) == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads the state; {@link State#EMPTY} if there is no file yet.
     *
     * @throws CorruptStateException if the file is there but is no state mounterd wrote
     * @throws IOException if it cannot be read
     */
    State load() throws IOException {
        String text;
        try {
            text = Files.readString(file(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return State.EMPTY;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CorruptStateException("not UTF-8 text", e);
        }
        // Threat: the file holds commands with credentials, and these reasons reach /healthz
        // and the log: they name what is wrong, never what the file holds (a JSON parser's
        // message quotes the text it met).
        Map<String, Object> root;
        try {
            root = json.mapFrom(text);
        } catch (IOException | RuntimeException e) {
            throw new CorruptStateException("not a JSON object", e);
        }
        try {
            return decode(root);
        } catch (RuntimeException e) {
            throw new CorruptStateException(e instanceof IllegalArgumentException ? e.getMessage()
                    : "not a state file mounterd wrote", e);
        }
    }

    /**
     * Moves an unreadable state file aside to {@code mounts.json.bad} (replacing an older
     * one), for a person to look at; returns where it went.
     */
    Path quarantine() throws IOException {
        Path bad = directory.resolve(FILE + BAD_SUFFIX);
        Files.move(file(), bad, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory();
        return bad;
    }

    /**
     * Replaces the file with {@code state}, atomically and durably.
     *
     * @throws IOException if any step fails (ENOSPC on a full disk, say); the old file is
     *     then untouched and the temporary file removed
     */
    void save(State state) throws IOException {
        byte[] bytes = json.asBytes(encode(state));
        Path temporary = directory.resolve(TEMPORARY);
        // Threat: a symlink put at the temporary name would have the write follow it and
        // overwrite the file it names. A leftover is removed (the link itself, never its
        // target) and the file made afresh, O_EXCL|O_NOFOLLOW.
        Files.deleteIfExists(temporary);
        try {
            try (FileChannel out = FileChannel.open(temporary, Set.of(StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS), OWNER_ONLY)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temporary, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        fsyncDirectory();
    }

    /** The rename is durable only once the directory entry is: fsync the directory itself. */
    private void fsyncDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static Map<String, Object> encode(State state) {
        List<Map<String, Object>> mounts = new ArrayList<>();
        for (MountRecord record : state.mounts()) {
            MountEntry entry = record.entry();
            Map<String, Object> mount = new LinkedHashMap<>();
            mount.put("target", entry.target());
            mount.put("source", entry.source() == null ? null : MountSource.mask(entry.source()));
            mount.put("fstype", entry.fstype());
            mount.put("requesterPid", entry.requesterPid());
            mount.put("createdAt", entry.createdAtMillis());
            mount.put("device", record.device() == null ? null : record.device().toString());
            mounts.add(mount);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", VERSION);
        root.put("starts", state.starts());
        root.put("mounts", mounts);
        if (!state.commands().isEmpty()) {
            root.put("commands", new TreeMap<>(state.commands()));
        }
        return root;
    }

    private static State decode(Map<String, Object> root) {
        if (!Integer.valueOf(VERSION).equals(root.get("version"))) {
            throw new IllegalArgumentException("an unknown state version");
        }
        long starts = number(root, "starts");
        if (!(root.get("mounts") instanceof List<?> list)) {
            throw new IllegalArgumentException("no mounts list");
        }
        List<MountRecord> mounts = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> mount)) {
                throw new IllegalArgumentException("a mount that is not an object");
            }
            MountEntry entry = new MountEntry(optionalText(mount, "source"), text(mount, "target"),
                    text(mount, "fstype"), (int) number(mount, "requesterPid"), number(mount, "createdAt"), 0);
            String device = optionalText(mount, "device");
            mounts.add(new MountRecord(entry, device == null ? null : parseDevice(device)));
        }
        return new State(starts, mounts, commands(root.get("commands")));
    }

    private static Map<String, List<String>> commands(Object saved) {
        if (saved == null) {
            return Map.of();
        }
        if (!(saved instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("commands is not an object");
        }
        Map<String, List<String>> commands = new LinkedHashMap<>();
        map.forEach((target, argv) -> {
            if (!(target instanceof String name) || !(argv instanceof List<?> words) || words.isEmpty()
                    || !words.stream().allMatch(String.class::isInstance)) {
                throw new IllegalArgumentException("a command that is not a list of text");
            }
            commands.put(name, words.stream().map(String.class::cast).toList());
        });
        return commands;
    }

    private static DeviceNumber parseDevice(String text) {
        String[] parts = text.split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("a device that is not major:minor");
        }
        return new DeviceNumber(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    private static long number(Map<?, ?> map, String key) {
        if (!(map.get(key) instanceof Number number)) {
            throw new IllegalArgumentException(key + " is not a number");
        }
        return number.longValue();
    }

    private static String text(Map<?, ?> map, String key) {
        String value = optionalText(map, key);
        if (value == null) {
            throw new IllegalArgumentException(key + " missing");
        }
        return value;
    }

    private static String optionalText(Map<?, ?> map, String key) {
        Object value = map.get(key);
        if (value != null && !(value instanceof String)) {
            throw new IllegalArgumentException(key + " is not text");
        }
        return (String) value;
    }
}

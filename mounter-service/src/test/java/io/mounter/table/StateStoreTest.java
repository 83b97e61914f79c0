package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.MountEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path dir;

    private static final MountRecord SSHFS = new MountRecord(
            new MountEntry("root@127.0.0.1:/srv", "/var/lib/kubelet/pods/p/volumes/a b", "fuse.sshfs", 812,
                    1_700_000_000_123L, 0), new DeviceNumber(0, 53));
    private static final MountRecord NO_SOURCE_NO_DEVICE = new MountRecord(
            new MountEntry(null, "/var/lib/kubelet/pods/p/volumes/t", "tmpfs", 0, 1_700_000_000_456L, 0), null);

    @Test
    void noFileIsAnEmptyStateThatNeverStarted() throws IOException {
        assertEquals(StateStore.State.EMPTY, new StateStore(dir).load());
        assertEquals(0, StateStore.State.EMPTY.starts());
    }

    @Test
    void whatIsSavedLoadsAgain() throws IOException {
        StateStore store = new StateStore(dir);
        StateStore.State state = new StateStore.State(7, List.of(SSHFS, NO_SOURCE_NO_DEVICE));
        store.save(state);
        assertEquals(state, new StateStore(dir).load());
        assertEquals(List.of(StateStore.FILE), names(), "no temporary file is left");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
    }

    @Test
    void daemonCommandsAreSavedWholeAndLoadAgain() throws IOException {
        StateStore store = new StateStore(dir);
        List<String> command = List.of("sshfs", "-o", "IdentityFile=/k,password_stdin", "root@h:/srv",
                SSHFS.entry().target());
        StateStore.State state = new StateStore.State(2, List.of(SSHFS), Map.of(SSHFS.entry().target(), command));
        store.save(state);
        assertEquals(state, new StateStore(dir).load());
    }

    @Test
    void commandsAreTrustedOnlyFromADirectoryRootAloneMayWrite() throws IOException {
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        assertTrue(new StateStore(state).isPrivate(), "root's 0700 directory");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertFalse(new StateStore(state).isPrivate(), "a 0777 directory");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwx---"));
        assertFalse(new StateStore(state).isPrivate(), "a group-writable directory");
        Path link = Files.createSymbolicLink(dir.resolve("link"), state);
        assertFalse(new StateStore(link).isPrivate(), "a symlink");
    }

    @Test
    void aCommandThatIsNotAListOfTextIsCorrupt() throws IOException {
        StateStore store = new StateStore(dir);
        Files.writeString(store.file(), "{\"version\":1,\"starts\":1,\"mounts\":[],\"commands\":{\"/t\":[\"a\",2]}}");
        assertThrows(StateStore.CorruptStateException.class, store::load);
    }

    @Test
    void theFileHoldsNoDaemonPidsAndIsReadableJson() throws IOException {
        StateStore store = new StateStore(dir);
        store.save(new StateStore.State(1, List.of(new MountRecord(SSHFS.entry().withDaemonPid(99), SSHFS.device()))));
        String text = Files.readString(store.file());
        assertTrue(text.contains("\"target\" : \"/var/lib/kubelet/pods/p/volumes/a b\""), text);
        assertTrue(text.contains("\"device\" : \"0:53\""), text);
        assertFalse(text.contains("99"), "a daemon pid is looked up, never saved: " + text);
        assertEquals(0, store.load().mounts().get(0).entry().daemonPid());
    }

    @Test
    void aPasswordInASourceNeverReachesTheDisk() throws IOException {
        StateStore store = new StateStore(dir);
        MountRecord dav = new MountRecord(new MountEntry("https://user:s3cret@dav.example/d", "/t", "fuse.davfs", 1, 2, 0),
                new DeviceNumber(0, 60));
        store.save(new StateStore.State(1, List.of(dav)));
        String text = Files.readString(store.file());
        assertFalse(text.contains("s3cret"), text);
        assertEquals("https://user:<masked>@dav.example/d", store.load().mounts().get(0).entry().source());
    }

    @Test
    void aSaveReplacesTheWholeFile() throws IOException {
        StateStore store = new StateStore(dir);
        store.save(new StateStore.State(1, List.of(SSHFS, NO_SOURCE_NO_DEVICE)));
        store.save(new StateStore.State(2, List.of()));
        assertEquals(new StateStore.State(2, List.of()), store.load());
    }

    @Test
    void aSaveThatFailsLeavesTheOldFileAndNoTemporary() throws IOException {
        StateStore store = new StateStore(dir);
        StateStore.State old = new StateStore.State(3, List.of(SSHFS));
        store.save(old);
        // a directory that is not empty where the temporary file would go makes the save fail
        Files.createFile(Files.createDirectory(dir.resolve(StateStore.FILE + ".tmp")).resolve("in-the-way"));
        assertThrows(IOException.class, () -> store.save(new StateStore.State(4, List.of())));
        assertEquals(old, store.load());
    }

    /** Threat: a symlink at the temporary name would have the save overwrite the file it names. */
    @Test
    void aSymlinkAtTheTemporaryNameIsNotFollowed() throws IOException {
        StateStore store = new StateStore(dir);
        Path victim = Files.writeString(Files.createTempFile("state-store-victim-", ".txt"), "untouched");
        try {
            Files.createSymbolicLink(dir.resolve(StateStore.FILE + ".tmp"), victim);

            store.save(new StateStore.State(5, List.of(SSHFS)));

            assertEquals("untouched", Files.readString(victim));
            assertEquals(new StateStore.State(5, List.of(SSHFS)), store.load());
            assertFalse(Files.exists(dir.resolve(StateStore.FILE + ".tmp"), LinkOption.NOFOLLOW_LINKS));
        } finally {
            Files.delete(victim);
        }
    }

    /** The reasons reach /healthz and the log: they never quote the file, which may hold credentials. */
    @Test
    void whyAFileIsRefusedNeverQuotesIt() throws IOException {
        StateStore store = new StateStore(dir);
        for (String bad : List.of("TOPSECRET", "{\"TOPSECRET\": ", "{\"version\": \"TOPSECRET\"}",
                "{\"version\": 1, \"starts\": 1, \"mounts\": [\"TOPSECRET\"]}",
                "{\"version\": 1, \"starts\": \"TOPSECRET\", \"mounts\": []}",
                "{\"version\": 1, \"starts\": 1, \"mounts\": [], \"commands\": {\"/t\": \"TOPSECRET\"}}",
                "{\"version\": 1, \"starts\": 1, \"mounts\": [{\"target\": \"/t\", \"fstype\": \"fuse\","
                        + " \"requesterPid\": 1, \"createdAt\": 1, \"device\": \"TOPSECRET\"}]}")) {
            Files.writeString(store.file(), bad);
            StateStore.CorruptStateException refused = assertThrows(StateStore.CorruptStateException.class,
                    store::load, bad);
            assertFalse(refused.getMessage().contains("TOPSECRET"), refused.getMessage());
        }
    }

    @Test
    void corruptContentIsRefusedAndCanBeMovedAside() throws IOException {
        StateStore store = new StateStore(dir);
        for (String bad : List.of("{\"version\": 1, \"starts\": 2, \"mounts\": [ {\"target\": ",
                "not json", "{\"version\": 2, \"starts\": 1, \"mounts\": []}",
                "{\"version\": 1, \"starts\": \"two\", \"mounts\": []}",
                "{\"version\": 1, \"starts\": 1, \"mounts\": [{\"source\": \"s\"}]}",
                "{\"version\": 1, \"starts\": 1, \"mounts\": [{\"target\": \"/t\", \"fstype\": \"fuse\","
                        + " \"requesterPid\": 1, \"createdAt\": 1, \"device\": \"53\"}]}",
                "[]")) {
            Files.writeString(store.file(), bad);
            assertThrows(StateStore.CorruptStateException.class, store::load, bad);
        }
        Files.write(store.file(), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertThrows(StateStore.CorruptStateException.class, store::load, "not UTF-8");

        Path bad = store.quarantine();
        assertEquals(dir.resolve("mounts.json.bad"), bad);
        assertFalse(Files.exists(store.file()));
        assertEquals(StateStore.State.EMPTY, store.load(), "after the move a start begins empty");
    }

    private List<String> names() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

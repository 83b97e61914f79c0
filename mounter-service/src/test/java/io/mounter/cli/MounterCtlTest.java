package io.mounter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** mounterctl's parsing and exit codes (as mount(8): 1 usage, 32 failure), without mounterd or with a fake one. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MounterCtlTest {
    private static final String TARGET = "/var/lib/kubelet/pods/p/volumes/v";
    private static final String NOWHERE = "/nonexistent/mounter.sock";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    /** Runs mounterctl; picocli's own error output is created after the redirect, so it is captured too. */
    private static int mounterctl(String... args) {
        return new CommandLine(new MounterCtl()).execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    // ---- usage -----------------------------------------------------------------------------

    @Test
    void mountWithoutTypeIsAUsageError() {
        assertEquals(1, mounterctl("mount", "--socket", NOWHERE, "u@h:/d", TARGET));
        assertTrue(stderr().contains("-t"), stderr());
        assertTrue(!stderr().contains("cannot reach"), "nothing was sent: " + stderr());
    }

    @Test
    void mountWithoutTargetIsAUsageError() {
        assertEquals(1, mounterctl("mount", "-t", "sshfs", "--socket", NOWHERE, "u@h:/d"));
    }

    @Test
    void aTimeoutThatIsNoNumberIsAUsageError() {
        assertEquals(1, mounterctl("mount", "-t", "sshfs", "--timeout", "soon", "--socket", NOWHERE, "u@h:/d", TARGET));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "-5"})
    void aTimeoutBelowOneSecondIsAUsageErrorAndNothingIsSent(String seconds) {
        assertEquals(1, mounterctl("mount", "-t", "sshfs", "--timeout", seconds, "--socket", NOWHERE, "u@h:/d",
                TARGET));
        assertTrue(stderr().contains("--timeout must be at least 1 second"), stderr());
        assertTrue(!stderr().contains("cannot reach"), "nothing was sent: " + stderr());
    }

    @Test
    void umountWithoutTargetIsAUsageError() {
        assertEquals(1, mounterctl("umount", "--socket", NOWHERE));
    }

    @Test
    void anUnknownSubcommandIsAUsageError() {
        assertEquals(1, mounterctl("remount", TARGET));
    }

    // ---- mounterd unreachable ----------------------------------------------------------------

    @Test
    void mountWithoutMounterdFailsWith32() {
        assertEquals(32, mounterctl("mount", "-t", "fuse.sshfs", "u@h:/d", TARGET, "--socket", NOWHERE));
        assertTrue(stderr().lines().anyMatch(line -> line.startsWith("mounterctl: cannot reach mounterd at " + NOWHERE)),
                stderr());
    }

    @Test
    void umountWithoutMounterdFailsWith32() {
        assertEquals(32, mounterctl("umount", "--socket", NOWHERE, TARGET));
        assertTrue(stderr().contains("cannot reach mounterd"), stderr());
    }

    @Test
    void listWithoutMounterdFailsWith32() {
        assertEquals(32, mounterctl("list", "--socket", NOWHERE));
        assertTrue(stderr().contains("cannot reach mounterd"), stderr());
    }

    @Test
    void statusWithoutMounterdFailsWith1() {
        assertEquals(1, mounterctl("status", "--socket", NOWHERE));
        assertTrue(stderr().contains("cannot reach mounterd"), stderr());
        assertEquals("", stdout());
    }

    // ---- a fake mounterd -----------------------------------------------------------------------

    /**
     * Serves one request on {@code listener} with {@code answer} and completes with the
     * decoded request.
     */
    private CompletableFuture<Request> serveOnce(SeqpacketSocket listener, Function<Request, Reply> answer) {
        return CompletableFuture.supplyAsync(() -> {
            try (SeqpacketSocket connection = listener.accept()) {
                Request request = MessageCodec.decodeRequest(connection.receive(1 << 16).payload());
                connection.send(MessageCodec.encodeReply(answer.apply(request)), -1);
                return request;
            }
        });
    }

    private interface Exchange {
        int run(String socket);
    }

    /** Runs {@code command} against a fake mounterd that answers with {@code answer}; returns exit code and request. */
    private Result against(Function<Request, Reply> answer, Exchange command) throws Exception {
        String socket = dir.resolve("mounter-" + ++sockets + ".sock").toString();
        try (SeqpacketSocket listener = SeqpacketSocket.listen(socket, 0600, 1)) {
            CompletableFuture<Request> served = serveOnce(listener, answer);
            int exit = command.run(socket);
            return new Result(exit, served.get(10, TimeUnit.SECONDS));
        }
    }

    private int sockets;

    private record Result(int exit, Request request) {
    }

    @Test
    void mountSendsRunMountWithTheDefaultTimeoutAndExits0WhenTheHelperDid() throws Exception {
        Result result = against(r -> Reply.ofHelper(r.id(), 0, ""),
                socket -> mounterctl("mount", "-t", "sshfs", "-o", "ro,allow_other", "--socket", socket, "u@h:/d",
                        TARGET));

        assertEquals(0, result.exit(), stderr());
        assertEquals(new Request.RunMount(1, "u@h:/d", TARGET, "sshfs", "ro,allow_other", 60_000), result.request());
    }

    @Test
    void mountWithoutOptionsSendsNoneAndPassesTheTimeoutInMilliseconds() throws Exception {
        Result result = against(r -> Reply.ofHelper(r.id(), 0, ""),
                socket -> mounterctl("mount", "-t", "glusterfs", "--timeout", "5", "--socket", socket, "g:/vol",
                        TARGET));

        assertEquals(new Request.RunMount(1, "g:/vol", TARGET, "glusterfs", null, 5000), result.request());
    }

    @Test
    void mountExitsWithTheHelpersStatusAndShowsItsOutput() throws Exception {
        Result result = against(r -> Reply.ofHelper(r.id(), 16, "mount: cannot write mtab\n"),
                socket -> mounterctl("mount", "-t", "sshfs", "--socket", socket, "u@h:/d", TARGET));

        assertEquals(16, result.exit());
        assertTrue(stderr().contains("mount: cannot write mtab\n"), stderr());
        assertEquals("", stdout());
    }

    @Test
    void aRefusedOrTimedOutMountFailsWith32AndSaysWhy() throws Exception {
        Result timedOut = against(r -> new Reply(r.id(), 0x8004, Errno.ETIMEDOUT,
                        "mount helper killed after 5000 ms; 1 mount(s) made for it removed", java.util.List.of(), -1, -1,
                        "partial\n"),
                socket -> mounterctl("mount", "-t", "sshfs", "--socket", socket, "u@h:/d", TARGET));

        assertEquals(32, timedOut.exit());
        assertTrue(stderr().contains("partial\n"), "the output so far: " + stderr());
        assertTrue(stderr().contains("mounterctl: mount " + TARGET + ": mount helper killed after 5000 ms"), stderr());

        err.reset();
        Result refused = against(r -> Reply.of(r.id(), 4, Errno.EPERM, "fstype ext4 is not allowed"),
                socket -> mounterctl("mount", "-t", "ext4", "--socket", socket, "/dev/sda1", TARGET));
        assertEquals(32, refused.exit());
        assertTrue(stderr().contains("fstype ext4 is not allowed"), stderr());
    }

    @Test
    void umountLazySendsMntDetach() throws Exception {
        Result lazy = against(r -> Reply.of(r.id(), 2, 0, ""),
                socket -> mounterctl("umount", "-l", "--socket", socket, TARGET));
        assertEquals(0, lazy.exit(), stderr());
        assertEquals(new Request.Umount(1, TARGET, 2), lazy.request());

        Result plain = against(r -> Reply.of(r.id(), 2, Errno.EINVAL, "umount " + TARGET + ": Invalid argument"),
                socket -> mounterctl("umount", "--socket", socket, TARGET));
        assertEquals(32, plain.exit());
        assertEquals(new Request.Umount(1, TARGET, 0), plain.request());
        assertTrue(stderr().contains("Invalid argument"), stderr());
    }

    @Test
    void statusPrintsTheAnswerAndExits0OnlyWhenMounterdIsOk() throws Exception {
        Result ok = against(r -> Reply.of(r.id(), 5, 0, "ok: 2 mounts, up 3 s, mounter 0.1.0"),
                socket -> mounterctl("status", "--socket", socket));
        assertEquals(0, ok.exit());
        assertEquals(new Request.Status(1), ok.request());
        assertEquals("ok: 2 mounts, up 3 s, mounter 0.1.0", stdout().trim());

        Result refused = against(r -> Reply.of(r.id(), 5, Errno.EPERM, "peer uid 1000 is not allowed"),
                socket -> mounterctl("status", "--socket", socket));
        assertEquals(1, refused.exit());
        assertTrue(stderr().contains("peer uid 1000 is not allowed"), stderr());
    }
}

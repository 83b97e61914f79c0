package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.linux.MountFlags;
import io.mounter.linux.MountInfo;
import io.mounter.linux.Syscalls;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests mounterd must refuse, sent to the real daemon on a simulated node; each must
 * leave the host's and the container's mount tables exactly as they were, and mounterd
 * must go on serving.
 */
class RefusalTest extends OnMounterNode {
    private List<MountInfo.Entry> hostBefore;
    private List<MountInfo.Entry> containerBefore;

    @BeforeEach
    void recordMounts() {
        hostBefore = node.host().mountinfo().under(node.node().directory());
        containerBefore = node.container().mountinfo().under(node.node().directory());
    }

    @AfterEach
    void nothingMountedAndStillServing() {
        assertEquals(hostBefore, node.host().mountinfo().under(node.node().directory()), "host mounts changed");
        assertEquals(containerBefore, node.container().mountinfo().under(node.node().directory()),
                "container mounts changed");
        try (MounterClient client = node.mounterd().client()) {
            assertTrue(client.list().isEmpty(), "mounterd recorded a refused mount");
        }
        assertTrue(node.mounterd().isAlive(), "mounterd died:\n" + node.mounterd().log());
    }

    @Test
    void aRealHelperAimedOutsideThePrefixesFailsAndSaysWhy() {
        Path outside = node.node().newDirectory("outside-prefixes");
        CommandResult result = node.container().exec("bindfs", node.node().newDirectory("src").toString(),
                outside.toString());
        assertNotEquals(0, result.exitStatus(), "bindfs must fail: " + result.describe());
        assertTrue(result.stderr().contains("not under an allowed prefix"), result.stderr());
    }

    /**
     * Threat: fuse-overlayfs, a type the policy refuses, is refused as fuse.fuse-overlayfs;
     * libfuse then runs fusermount3 (the stand-in) with its subtype and, refused again, once
     * more without it, asking for plain {@code fuse}, which the stand-in used to get mounted.
     * A plain fuse mount is now named after the daemon's program and judged so.
     */
    @Test
    void aRefusedDaemonDoesNotLandAsPlainFuseThroughTheFusermountFallback() throws IOException {
        Path layers = node.node().newDirectory("overlay-layers");
        for (String dir : List.of("lower", "upper", "work")) {
            Files.createDirectories(layers.resolve(dir));
        }
        Path target = node.node().newVolumeDir("fuse-overlayfs");
        CommandResult result = node.container().exec("fuse-overlayfs", "-o", "lowerdir=" + layers.resolve("lower")
                + ",upperdir=" + layers.resolve("upper") + ",workdir=" + layers.resolve("work"), target.toString());
        assertNotEquals(0, result.exitStatus(), "must fail: " + result.describe());
        assertTrue(result.stderr().contains("fstype fuse.fuse-overlayfs (fuse, named after its daemon's program)"
                + " is not allowed"), "the fallback is refused, and says so: " + result.describe());
    }

    @Test
    void fstypeNotAllowed() {
        assertRefused(Errno.EPERM, fuseMount("fuse.notallowed", node.node().newVolumeDir("x")), fuseDevice());
    }

    @Test
    void targetOutsideThePrefixes() {
        assertRefused(Errno.EPERM, fuseMount("fuse.sshfs", node.node().newDirectory("elsewhere")), fuseDevice());
    }

    @Test
    void symlinkInTheTargetPathPointingOutside() throws IOException {
        Path outside = node.node().newDirectory("symlink-destination");
        Files.createDirectories(outside.resolve("inner"));
        Path volumes = node.node().newVolumeDir("v").getParent();
        Files.createSymbolicLink(volumes.resolve("link"), outside);
        assertRefused(Errno.EPERM, fuseMount("fuse.sshfs", volumes.resolve("link/inner")), fuseDevice());
        assertRefused(Errno.EPERM, fuseMount("fuse.sshfs", volumes.resolve("link")), fuseDevice());
    }

    @Test
    void descriptorThatIsNotDevFuse() {
        int devNull = Syscalls.open("/dev/null", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        assertRefused(Errno.EPERM, fuseMount("fuse.sshfs", node.node().newVolumeDir("x"), devNull), devNull);
    }

    @Test
    void peerWithAnotherUid() {
        // Widen the socket so the kernel lets uid 65534 connect at all: the SO_PEERCRED
        // check inside mounterd must still refuse it.
        node.container().run("chmod", "0666", Mounterd.SOCKET);
        try {
            CommandResult result = node.container().exec("setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", node.dist().bin("mounterctl").toString(), "list");
            assertNotEquals(0, result.exitStatus(), result.describe());
            assertTrue(result.stderr().contains("peer uid 65534"), result.describe());
        } finally {
            node.container().run("chmod", "0600", Mounterd.SOCKET);
        }
    }

    @Test
    void malformedAndTruncatedMessages() {
        byte[] valid = MessageCodec.encodeRequest(fuseMount("fuse.sshfs", node.node().newVolumeDir("x"), 3));
        List<byte[]> bad = List.of(
                "garbage".getBytes(),
                new byte[16],
                Arrays.copyOf(valid, 15),
                Arrays.copyOf(valid, 30),
                Arrays.copyOf(valid, valid.length - 1),
                new byte[40_000]);
        try (MounterClient client = node.mounterd().client()) {
            for (byte[] message : bad) {
                Reply reply = MessageCodec.decodeReply(client.exchange(message, -1));
                assertTrue(reply.status() == Errno.EBADMSG || reply.status() == Errno.EMSGSIZE,
                        "status " + reply.status() + " for a " + message.length + "-byte message");
            }
        }
    }

    private Request.Mount fuseMount(String fstype, Path target) {
        return fuseMount(fstype, target, 3);
    }

    private Request.Mount fuseMount(String fstype, Path target, int senderFd) {
        return new Request.Mount(1, "src", target.toString(), fstype, MountFlags.MS_NOSUID | MountFlags.MS_NODEV,
                "fd=" + senderFd + ",rootmode=40000,user_id=0,group_id=0", senderFd);
    }

    private static int fuseDevice() {
        return Syscalls.open("/dev/fuse", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
    }

    /** Sends the request with {@code fd} (closed afterwards) and expects the errno. */
    private void assertRefused(int errno, Request.Mount request, int fd) {
        Request.Mount announced = new Request.Mount(request.id(), request.source(), request.target(),
                request.fstype(), request.flags(), "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0", fd);
        try (MounterClient client = node.mounterd().client()) {
            Reply reply = client.call(announced, fd);
            assertEquals(errno, reply.status(), "reply: " + reply.message());
            assertTrue(!reply.message().isEmpty(), "a refusal says why");
        } finally {
            Syscalls.close(fd);
        }
    }
}

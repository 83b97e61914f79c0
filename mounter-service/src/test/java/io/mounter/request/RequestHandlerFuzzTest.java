package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Fuse;
import io.mounter.table.MountTable;
import io.mounter.fuzz.FuzzRun;
import io.mounter.fuzz.HostileInput;
import io.mounter.fuzz.MountInvariants;
import io.mounter.linux.Errno;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.AttachedDescriptor;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole request path short of the kernel (decode, peer check, policy, the fake
 * mounter) against generated messages with real descriptors attached, as a hostile client
 * could send them (docs/testing.md): one decodable reply for every message, never an
 * exception; only root peers get anything done; and what reaches the mounter obeys
 * {@link MountInvariants} for the descriptor actually attached.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestHandlerFuzzTest {
    private static final PeerCredentials ROOT = new PeerCredentials(4321, 0, 0);
    private static final PeerCredentials USER = new PeerCredentials(4322, 1000, 1000);
    private static final MountPolicy POLICY = new MountPolicy(
            Set.of("fuse", "fuse.sshfs", "fuse.glusterfs", "tmpfs"), List.of(HostileInput.PODS), Set.of(0));

    /** Real descriptors to attach: /dev/null, a directory, /dev/fuse when it can be opened. */
    private final List<Integer> pool = new ArrayList<>();
    private int fuse = -1;

    @BeforeAll
    void openDescriptors() {
        pool.add(Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC));
        pool.add(Syscalls.open("/", Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC));
        try {
            fuse = Syscalls.open("/dev/fuse", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
            pool.add(fuse);
        } catch (SyscallException e) {
            System.out.println("RequestHandlerFuzzTest: no /dev/fuse here (" + e.getMessage()
                    + "); FUSE mounts are then refused, and the invariants still checked");
        }
        pool.add(999_999); // not open: fstat fails
    }

    @AfterAll
    void closeDescriptors() {
        pool.stream().filter(fd -> fd != 999_999).forEach(Syscalls::closeQuietly);
    }

    @Test
    void everyMessageGetsOneDefinedReplyAndOnlySafeMountsReachTheMounter() {
        int[] mounted = new int[1];
        FuzzRun.named("RequestHandler.handle").forEach((random, iteration) -> {
            FakeExecutor mounter = new FakeExecutor();
            RequestHandler handler = new RequestHandler(POLICY, mounter, new MountTable(), Clock.systemUTC(),
                    new RequestHandlerTest.FakeHelper(), new RequestHandlerTest.FakeDaemons());
            HostileInput input = new HostileInput(random);
            int[] fds = attachments(random);
            byte[] payload = payload(input, random, fds);
            PeerCredentials peer = random.nextInt(10) == 0 ? USER : ROOT;
            ReceivedMessage message = new ReceivedMessage(payload, fds, random.nextInt(50) == 0,
                    random.nextInt(50) == 0);
            byte[] reply = Wire.handle(handler, message, peer);
            checkReply(payload, message, reply);
            if (!mounter.mounts.isEmpty()) {
                mounted[0]++;
                checkMounted(message, peer, mounter.mounts);
            }
            if (peer != ROOT || message.truncated()) {
                assertTrue(mounter.untouched(), "a refused peer or message got something done");
            }
        });
        for (int fd : pool) {
            if (fd != 999_999) {
                Syscalls.fstat(fd); // the handler must leave the caller's descriptors open
            }
        }
        System.out.printf("RequestHandler.handle: %d reached the mounter%n", mounted[0]);
        if (fuse >= 0) {
            assertTrue(mounted[0] > 100, "the generator reaches the mounter often enough");
        }
    }

    private int[] attachments(Random random) {
        int count = random.nextInt(10) < 6 ? 1 : random.nextInt(4);
        int[] fds = new int[count];
        for (int i = 0; i < count; i++) {
            fds[i] = fuse >= 0 && random.nextBoolean() ? fuse : pool.get(random.nextInt(pool.size()));
        }
        return fds;
    }

    /** Mutated bytes, or a well-formed MOUNT whose fd= and FD name what is attached (or not). */
    private static byte[] payload(HostileInput input, Random random, int[] fds) {
        if (random.nextInt(3) == 0) {
            return input.message();
        }
        int localFd = fds.length > 0 ? fds[0] : input.localFd();
        Request.Mount mount = input.mountRequest(localFd);
        try {
            return MessageCodec.encodeRequest(mount);
        } catch (IllegalArgumentException | java.nio.BufferOverflowException tooLong) {
            return input.message();
        }
    }

    private static void checkReply(byte[] payload, ReceivedMessage message, byte[] reply) {
        String context = " for " + HexFormat.of().formatHex(payload);
        assertTrue(reply.length <= Limits.MAX_REPLY, "reply too long" + context);
        Reply decoded = MessageCodec.decodeReply(reply);
        assertTrue(decoded.status() >= 0 && decoded.status() < 4096, "status " + decoded.status() + context);
        if (decoded.status() != 0) {
            assertTrue(!decoded.message().isBlank(), "a failure without a reason" + context);
        }
        if (message.truncated()) {
            assertEquals(Errno.EMSGSIZE, decoded.status(), context);
            return;
        }
        Request request;
        try {
            request = MessageCodec.decodeRequest(payload);
        } catch (MalformedMessageException e) {
            assertEquals(e.errno(), decoded.status(), context);
            return;
        }
        assertEquals(request.id(), decoded.id(), "id not echoed" + context);
        assertEquals(request.operation().code() | Operation.REPLY_BIT, decoded.kind(), "kind" + context);
    }

    private void checkMounted(ReceivedMessage message, PeerCredentials peer, List<AuthorizedMount> mounts) {
        assertEquals(ROOT, peer, "a mount for a peer that is not root");
        assertEquals(1, mounts.size());
        assertTrue(!message.descriptorsTruncated(), "a mount whose descriptors were cut");
        Request.Mount request = (Request.Mount) MessageCodec.decodeRequest(message.payload());
        AttachedDescriptor fd = null;
        if (Fuse.isFuseType(request.fstype())) {
            assertEquals(1, message.descriptors().length, "a FUSE mount with other than one descriptor attached");
            fd = new AttachedDescriptor(message.descriptors()[0], message.descriptors()[0] == fuse);
        } else {
            assertEquals(0, message.descriptors().length, "a descriptor went with a mount that is not FUSE");
        }
        MountInvariants.check(POLICY, request, fd, mounts.get(0));
    }
}

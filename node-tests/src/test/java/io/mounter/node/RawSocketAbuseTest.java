package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mounter.client.MounterClient;
import io.mounter.linux.Errno;
import io.mounter.linux.MountFlags;
import io.mounter.linux.MountInfo;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SeqpacketSocket;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile traffic on mounterd's socket, sent raw to the real daemon on a simulated node:
 * noise, empty, oversized and cut messages, too many descriptors, descriptors of the wrong
 * kind, FD announced but not attached and the other way round. Each gets its defined reply
 * or a closed connection, mounterd answers a LIST after each, nothing is mounted anywhere,
 * and its open descriptors and threads after 2,000 such messages are what they were before.
 */
class RawSocketAbuseTest extends OnMounterNode {
    private static final int ABUSIVE_MESSAGES = 2000;
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final int NOT_A_REPLY = -1;

    enum Abuse {
        RANDOM_BYTES, EMPTY, EMPTY_WITH_DESCRIPTOR, CONNECT_AND_HANG_UP, OVERSIZED, OVERSIZED_WITH_DESCRIPTOR,
        TRUNCATED, TWENTY_DESCRIPTORS, TWO_DESCRIPTORS, DEV_NULL, SOCKET, DIRECTORY, DEV_FUSE_AS_O_PATH,
        ANNOUNCED_NOT_ATTACHED, ATTACHED_NOT_ANNOUNCED, DESCRIPTOR_ON_LIST, BAD_VERSION
    }

    private final Random random = new Random(20261121);
    private final Map<Abuse, Integer> sent = new EnumMap<>(Abuse.class);
    private List<MountInfo.Entry> hostBefore;
    private List<MountInfo.Entry> containerBefore;
    private Path target;

    @BeforeEach
    void recordMounts() {
        hostBefore = node.host().mountinfo().under(node.node().directory());
        containerBefore = node.container().mountinfo().under(node.node().directory());
        target = node.node().newVolumeDir("abuse");
    }

    @AfterEach
    void nothingMounted() {
        assertEquals(hostBefore, node.host().mountinfo().under(node.node().directory()), "host mounts changed");
        assertEquals(containerBefore, node.container().mountinfo().under(node.node().directory()),
                "container mounts changed");
        assertTrue(node.mounterd().isAlive(), "mounterd died:\n" + node.mounterd().log());
    }

    @Test
    void eachAbuseGetsItsDefinedAnswerAndMounterdGoesOnServing() {
        for (Abuse abuse : Abuse.values()) {
            try (Connection connection = new Connection()) {
                int status = connection.abuse(abuse);
                assertExpected(abuse, status);
            }
            assertListWorks(abuse);
        }
    }

    @Test
    void descriptorsAndThreadsDoNotGrowWithAbuse() {
        long pid = node.mounterd().pid();
        // once through everything first: the JVM loads classes and maps jars on first use
        for (int round = 0; round < 3; round++) {
            abuseMany(Abuse.values().length * 2);
        }
        ProcessResources before = ProcessResources.settle(pid, r -> false, Duration.ofSeconds(1));
        abuseMany(ABUSIVE_MESSAGES);
        ProcessResources after = ProcessResources.settle(pid,
                r -> r.descriptors() <= before.descriptors() && r.threads() <= before.threads(), SETTLE);
        System.out.printf("RawSocketAbuseTest: mounterd before %s, after %d abusive messages %s; sent %s%n",
                before, ABUSIVE_MESSAGES, after, sent);
        // not equal: the JVM may retire an idle compiler thread meanwhile; it must only not grow
        assertTrue(after.descriptors() <= before.descriptors(), "open descriptors of mounterd grew: " + after);
        assertTrue(after.threads() <= before.threads(), "threads of mounterd grew: " + after);
        assertListWorks(null);
    }

    /** Sends {@code count} abuses of random kinds, reusing a connection while mounterd keeps it open. */
    private void abuseMany(int count) {
        Abuse[] all = Abuse.values();
        Connection connection = new Connection();
        try {
            for (int i = 0; i < count; i++) {
                Abuse abuse = all[random.nextInt(all.length)];
                if (connection.closed || random.nextInt(4) == 0) {
                    connection.close();
                    connection = new Connection();
                }
                assertExpected(abuse, connection.abuse(abuse));
                if (i % 10 == 0) {
                    assertListWorks(abuse);
                }
            }
        } finally {
            connection.close();
        }
    }

    private void assertExpected(Abuse abuse, int status) {
        sent.merge(abuse, 1, Integer::sum);
        Set<Integer> expected = switch (abuse) {
            case RANDOM_BYTES, EMPTY_WITH_DESCRIPTOR -> Set.of(Errno.EBADMSG);
            case EMPTY, CONNECT_AND_HANG_UP -> Set.of(NOT_A_REPLY);
            case OVERSIZED, OVERSIZED_WITH_DESCRIPTOR -> Set.of(Errno.EMSGSIZE);
            // cut inside the header or a field: EBADMSG; at a field boundary: a required field is missing
            case TRUNCATED -> Set.of(Errno.EBADMSG, Errno.EINVAL);
            case TWENTY_DESCRIPTORS, TWO_DESCRIPTORS, ANNOUNCED_NOT_ATTACHED, ATTACHED_NOT_ANNOUNCED,
                    DESCRIPTOR_ON_LIST -> Set.of(Errno.EINVAL);
            case DEV_NULL, SOCKET, DIRECTORY -> Set.of(Errno.EPERM);
            // fstat sees 10:229, the kernel's FUSE refuses a descriptor without file operations
            case DEV_FUSE_AS_O_PATH -> Set.of(Errno.EINVAL, Errno.EBADF);
            case BAD_VERSION -> Set.of(Errno.EPROTONOSUPPORT);
        };
        if (!expected.contains(status)) {
            fail(abuse + " was answered with " + (status == NOT_A_REPLY ? "a hang-up" : "status " + status)
                    + ", expected " + expected + "\n" + node.mounterd().log());
        }
    }

    private void assertListWorks(Abuse after) {
        try (MounterClient client = node.mounterd().client()) {
            assertEquals(List.of(), client.list(), "mounterd recorded a mount after " + after);
        } catch (RuntimeException e) {
            throw new AssertionError("LIST failed after " + after + ": " + e + "\n" + node.mounterd().log(), e);
        }
    }

    private Request.Mount fuseMount(int senderFd) {
        return new Request.Mount(random.nextInt(), "abuse", target.toString(), "fuse.sshfs",
                MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "fd=" + senderFd + ",rootmode=40000,user_id=0,group_id=0",
                senderFd);
    }

    private static int open(String path, int flags) {
        return Syscalls.open(path, flags | Syscalls.O_CLOEXEC);
    }

    /** One client connection; tells a reply (its status) from a hang-up. */
    private final class Connection implements AutoCloseable {
        private final SeqpacketSocket socket = SeqpacketSocket.connect(node.mounterd().socketFromOutside().toString());
        private boolean closed;

        Connection() {
            socket.setTimeouts(Duration.ofSeconds(15));
        }

        /** Sends one abusive message; returns the reply's status or {@link #NOT_A_REPLY} for a hang-up. */
        int abuse(Abuse abuse) {
            List<Integer> ours = new ArrayList<>();
            try {
                return switch (abuse) {
                    case RANDOM_BYTES -> exchange(noise(1 + random.nextInt(2000)));
                    case EMPTY -> exchange(new byte[0]);
                    case EMPTY_WITH_DESCRIPTOR -> exchange(new byte[0], keep(ours, open("/dev/null", Syscalls.O_RDONLY)));
                    case CONNECT_AND_HANG_UP -> {
                        close();
                        yield NOT_A_REPLY;
                    }
                    case OVERSIZED -> exchange(oversized());
                    case OVERSIZED_WITH_DESCRIPTOR -> exchange(oversized(), keep(ours, open("/dev/fuse", Syscalls.O_RDWR)));
                    case TRUNCATED -> {
                        byte[] valid = MessageCodec.encodeRequest(fuseMount(3));
                        yield exchange(Arrays.copyOf(valid, 1 + random.nextInt(valid.length - 1)));
                    }
                    case TWENTY_DESCRIPTORS, TWO_DESCRIPTORS -> {
                        int[] fds = new int[abuse == Abuse.TWO_DESCRIPTORS ? 2 : 20];
                        for (int i = 0; i < fds.length; i++) {
                            fds[i] = keep(ours, open("/dev/fuse", Syscalls.O_RDWR));
                        }
                        yield exchange(MessageCodec.encodeRequest(fuseMount(fds[0])), fds);
                    }
                    case DEV_NULL -> announced(keep(ours, open("/dev/null", Syscalls.O_RDWR)));
                    case SOCKET -> {
                        SeqpacketSocket other = SeqpacketSocket.connect(node.mounterd().socketFromOutside().toString());
                        try {
                            yield announced(other.descriptor());
                        } finally {
                            other.close();
                        }
                    }
                    case DIRECTORY -> announced(keep(ours, open(target.toString(), Syscalls.O_RDONLY
                            | Syscalls.O_DIRECTORY)));
                    case DEV_FUSE_AS_O_PATH -> announced(keep(ours, open("/dev/fuse", Syscalls.O_PATH)));
                    case ANNOUNCED_NOT_ATTACHED -> exchange(MessageCodec.encodeRequest(fuseMount(7)));
                    case ATTACHED_NOT_ANNOUNCED -> {
                        int fuse = keep(ours, open("/dev/fuse", Syscalls.O_RDWR));
                        Request.Mount unannounced = new Request.Mount(1, "abuse", target.toString(), "fuse.sshfs",
                                MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "fd=" + fuse + ",rootmode=40000", -1);
                        yield exchange(MessageCodec.encodeRequest(unannounced), fuse);
                    }
                    case DESCRIPTOR_ON_LIST -> exchange(MessageCodec.encodeRequest(new Request.List(1, 0)),
                            keep(ours, open("/dev/fuse", Syscalls.O_RDWR)));
                    case BAD_VERSION -> {
                        byte[] message = MessageCodec.encodeRequest(new Request.List(1, 0));
                        message[4] = 2;
                        yield exchange(message);
                    }
                };
            } finally {
                ours.forEach(Syscalls::closeQuietly);
            }
        }

        private int announced(int fd) {
            return exchange(MessageCodec.encodeRequest(fuseMount(fd)), fd);
        }

        private int exchange(byte[] message, int... fds) {
            try {
                socket.send(message, fds);
                ReceivedMessage reply = socket.receive(Limits.MAX_REPLY);
                reply.closeDescriptors();
                if (reply.isEndOfStream()) {
                    closed = true;
                    return NOT_A_REPLY;
                }
                return MessageCodec.decodeReply(reply.payload()).status();
            } catch (SyscallException e) {
                if (e.errno() == Errno.EAGAIN) {
                    throw new AssertionError("mounterd neither answered nor hung up within 15 s", e);
                }
                closed = true; // ECONNRESET, EPIPE: mounterd hung up
                return NOT_A_REPLY;
            } catch (MalformedMessageException e) {
                throw new AssertionError("mounterd's reply does not decode: " + e.getMessage(), e);
            }
        }

        private byte[] oversized() {
            byte[] message = MessageCodec.encodeRequest(new Request.List(1, 0));
            return Arrays.copyOf(message, Limits.MAX_REQUEST + 1 + random.nextInt(40_000));
        }

        private byte[] noise(int length) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            bytes[0] = 'X'; // never the magic by chance
            return bytes;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
            }
            socket.close();
        }
    }

    private static int keep(List<Integer> opened, int fd) {
        opened.add(fd);
        return fd;
    }
}

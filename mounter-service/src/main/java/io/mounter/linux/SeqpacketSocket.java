package io.mounter.linux;

import static io.mounter.linux.Syscalls.C;
import static io.mounter.linux.Syscalls.RUNTIME;
import static io.mounter.linux.Syscalls.check;
import static io.mounter.linux.Syscalls.retrying;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * An AF_UNIX SOCK_SEQPACKET socket that sends and receives one message at a time with
 * SCM_RIGHTS descriptors in the same message. Written on raw recvmsg/sendmsg because
 * Netty's fd mode eats payload bytes and sets O_NONBLOCK on received fds (docs/kernel-notes.md),
 * which would break the FUSE daemon that shares that open file. Struct layouts come from
 * {@link Abi}.
 *
 * <p>One native block per thread holds, in this order: the msghdr, its one iovec, the
 * control buffer and the data.
 */
public final class SeqpacketSocket implements AutoCloseable {
    private static final Abi ABI = Syscalls.ABI;
    private static final int AF_UNIX = ABI.get("AF_UNIX");
    private static final int SOCK_SEQPACKET = ABI.get("SOCK_SEQPACKET");
    private static final int SOCK_CLOEXEC = ABI.get("SOCK_CLOEXEC");
    private static final int SOL_SOCKET = ABI.get("SOL_SOCKET");
    private static final int SCM_RIGHTS = ABI.get("SCM_RIGHTS");
    private static final int SO_PEERCRED = ABI.get("SO_PEERCRED");
    private static final int SO_RCVTIMEO = ABI.get("SO_RCVTIMEO");
    private static final int SO_SNDTIMEO = ABI.get("SO_SNDTIMEO");
    private static final int MSG_CTRUNC = ABI.get("MSG_CTRUNC");
    private static final int MSG_TRUNC = ABI.get("MSG_TRUNC");
    private static final int MSG_DONTWAIT = ABI.get("MSG_DONTWAIT");
    private static final int MSG_NOSIGNAL = ABI.get("MSG_NOSIGNAL");
    private static final int MSG_CMSG_CLOEXEC = ABI.get("MSG_CMSG_CLOEXEC");
    private static final int SHUT_RD = ABI.get("SHUT_RD");
    private static final int SHUT_RDWR = ABI.get("SHUT_RDWR");
    private static final int SUN_PATH = ABI.get("sockaddr_un.sun_path");
    private static final int SUN_PATH_MAX = ABI.get("size.sockaddr_un") - SUN_PATH;
    private static final int MSG_IOV = ABI.get("msghdr.msg_iov");
    private static final int MSG_IOVLEN = ABI.get("msghdr.msg_iovlen");
    private static final int MSG_CONTROL = ABI.get("msghdr.msg_control");
    private static final int MSG_CONTROLLEN = ABI.get("msghdr.msg_controllen");
    private static final int MSG_FLAGS = ABI.get("msghdr.msg_flags");
    private static final int IOV_BASE = ABI.get("iovec.iov_base");
    private static final int IOV_LEN = ABI.get("iovec.iov_len");
    private static final int CMSG_HEADER = ABI.get("size.cmsghdr");
    private static final int CMSG_LEN = ABI.get("cmsghdr.cmsg_len");
    private static final int CMSG_LEVEL = ABI.get("cmsghdr.cmsg_level");
    private static final int CMSG_TYPE = ABI.get("cmsghdr.cmsg_type");
    private static final int UCRED_SIZE = ABI.get("size.ucred");
    private static final int TIMEVAL_SIZE = ABI.get("size.timeval");
    private static final int MAX_FDS = 8;
    private static final int IOV_OFFSET = ABI.get("size.msghdr");
    private static final int CONTROL_OFFSET = IOV_OFFSET + ABI.get("size.iovec");
    private static final int MAX_DATA = 65536 + 16;
    private static final ThreadLocal<Pointer> MESSAGE_BLOCK = ThreadLocal.withInitial(() ->
            Memory.allocateDirect(RUNTIME, CONTROL_OFFSET + CMSG_HEADER + 4 * MAX_FDS + MAX_DATA, false));
    /** Each thread's poll set for {@link #receiveWithin}: one descriptor, made once. */
    private static final ThreadLocal<PollSet> READABLE = ThreadLocal.withInitial(PollSet::new);

    private final int fd;
    private final String path;
    private volatile boolean closed;

    private SeqpacketSocket(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /** Binds a listening socket at {@code path} with the given file mode. */
    public static SeqpacketSocket listen(String path, int mode, int backlog) {
        int fd = newSocket();
        try {
            Pointer addr = address(path);
            check(C.bind(fd, addr, addressLength(path)), "bind", path);
            // Default umask leaves the new inode without group/other write, so nobody else
            // can connect before the chmod narrows it to the wanted mode.
            Syscalls.chmod(path, mode);
            check(C.listen(fd, backlog), "listen", path);
            return new SeqpacketSocket(fd, path);
        } catch (RuntimeException e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    public static SeqpacketSocket connect(String path) {
        int fd = newSocket();
        try {
            Pointer addr = address(path);
            retrying(() -> C.connect(fd, addr, addressLength(path)), "connect", path);
            return new SeqpacketSocket(fd, path);
        } catch (RuntimeException e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    private static int newSocket() {
        return (int) check(C.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), "socket", "AF_UNIX, SOCK_SEQPACKET");
    }

    private static Pointer address(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_MAX) {
            throw Syscalls.failure("bind", path, Errno.ENAMETOOLONG);
        }
        Pointer addr = Memory.allocateDirect(RUNTIME, SUN_PATH + SUN_PATH_MAX, true);
        addr.putShort(ABI.get("sockaddr_un.sun_family"), (short) AF_UNIX);
        addr.put(SUN_PATH, bytes, 0, bytes.length);
        return addr;
    }

    private static int addressLength(String path) {
        return SUN_PATH + path.getBytes(StandardCharsets.UTF_8).length + 1;
    }

    /** Waits for a connection; throws with EINVAL once {@link #shutdown()} was called. */
    public SeqpacketSocket accept() {
        int client = (int) retrying(() -> C.accept4(fd, null, null, SOCK_CLOEXEC), "accept4", path);
        return new SeqpacketSocket(client, path);
    }

    public PeerCredentials peerCredentials() {
        Pointer scratch = Syscalls.scratch();
        Pointer cred = scratch.slice(0, UCRED_SIZE);
        Pointer len = scratch.slice((UCRED_SIZE + 7) & ~7, 4);
        len.putInt(0, UCRED_SIZE);
        check(C.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len), "getsockopt", "SO_PEERCRED");
        return new PeerCredentials(cred.getInt(ABI.get("ucred.pid")), cred.getInt(ABI.get("ucred.uid")),
                cred.getInt(ABI.get("ucred.gid")));
    }

    public void setTimeouts(Duration timeout) {
        Pointer tv = Syscalls.scratch();
        tv.putLong(ABI.get("timeval.tv_sec"), timeout.toSeconds());
        tv.putLong(ABI.get("timeval.tv_usec"), timeout.toMillisPart() * 1000L);
        check(C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, TIMEVAL_SIZE), "setsockopt", "SO_RCVTIMEO");
        check(C.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, TIMEVAL_SIZE), "setsockopt", "SO_SNDTIMEO");
    }

    /**
     * Receives one message of at most {@code maxBytes}; descriptors arrive close-on-exec
     * with their file flags untouched. An empty result means the peer hung up.
     */
    public ReceivedMessage receive(int maxBytes) {
        return receive(maxBytes, 0);
    }

    /**
     * As {@link #receive(int)}, but waits at most {@code wait} for a message (the socket's
     * receive timeout holds for the read itself); null if none came. A message already queued
     * is taken by one non-blocking read, where changing SO_RCVTIMEO there and back would take
     * four syscalls.
     *
     * <p>Kernel quirk: a non-blocking read of a SEQPACKET socket that finds the queue empty
     * checks for a shutdown afterwards, so a message sent with a shutdown right behind it
     * (the shim's send, then SHUT_WR) can be reported as the end of the stream. Closing then
     * would leave the request unread and the client with ECONNRESET (seen about once in
     * 100,000 forwarded requests on a 2-core VM). So such an end is confirmed by a blocking read.
     */
    public ReceivedMessage receiveWithin(Duration wait, int maxBytes) {
        ReceivedMessage queued = receive(maxBytes, MSG_DONTWAIT);
        if (queued != null && !queued.isEndOfStream()) {
            return queued;
        }
        PollSet readable = READABLE.get();
        readable.clear();
        readable.add(fd, PollSet.POLLIN);
        return readable.poll((int) wait.toMillis()) > 0 ? receive(maxBytes) : null;
    }

    /** As {@link #receive(int)}; null instead of EAGAIN when {@code recvFlags} has MSG_DONTWAIT (no exception made). */
    private ReceivedMessage receive(int maxBytes, int recvFlags) {
        int controlSize = CMSG_HEADER + 4 * MAX_FDS;
        Pointer block = messageBlock(maxBytes, controlSize);
        long n = Syscalls.withoutEintr(() -> C.recvmsg(fd, block, recvFlags | MSG_CMSG_CLOEXEC));
        if (n == -Errno.EAGAIN && (recvFlags & MSG_DONTWAIT) != 0) {
            return null;
        }
        if (n < 0) {
            throw Syscalls.failure("recvmsg", path, (int) -n);
        }
        int flags = block.getInt(MSG_FLAGS);
        int[] fds = descriptors(block, block.getLong(MSG_CONTROLLEN));
        byte[] payload = new byte[(int) Math.min(n, maxBytes)];
        block.get(dataOffset(controlSize), payload, 0, payload.length);
        return new ReceivedMessage(payload, fds, (flags & MSG_TRUNC) != 0, (flags & MSG_CTRUNC) != 0);
    }

    private static int[] descriptors(Pointer block, long controlLength) {
        int[] found = new int[MAX_FDS];
        int count = 0;
        long offset = CONTROL_OFFSET;
        long end = CONTROL_OFFSET + controlLength;
        while (offset + CMSG_HEADER <= end) {
            long length = block.getLong(offset + CMSG_LEN);
            if (length < CMSG_HEADER) {
                break;
            }
            if (block.getInt(offset + CMSG_LEVEL) == SOL_SOCKET && block.getInt(offset + CMSG_TYPE) == SCM_RIGHTS) {
                for (long at = offset + CMSG_HEADER; at + 4 <= offset + length && count < MAX_FDS; at += 4) {
                    found[count++] = block.getInt(at);
                }
            }
            offset += (length + 7) & ~7L;
        }
        int[] result = new int[count];
        System.arraycopy(found, 0, result, 0, count);
        return result;
    }

    /** Sends one message, with {@code passFd} attached as SCM_RIGHTS unless it is negative. */
    public void send(byte[] payload, int passFd) {
        send(payload, passFd >= 0 ? new int[] {passFd} : new int[0]);
    }

    /**
     * Sends one message with all of {@code fds} in one SCM_RIGHTS block (none if empty).
     * mounterd itself never sends more than one; tests send more to see what it does with
     * a message it cannot take whole (MSG_CTRUNC past {@value #MAX_FDS}).
     */
    public void send(byte[] payload, int[] fds) {
        int controlSize = fds.length > 0 ? (CMSG_HEADER + 4 * fds.length + 7) & ~7 : 0;
        Pointer block = messageBlock(payload.length, controlSize);
        block.put(dataOffset(controlSize), payload, 0, payload.length);
        if (fds.length > 0) {
            block.putLong(CONTROL_OFFSET + CMSG_LEN, CMSG_HEADER + 4L * fds.length);
            block.putInt(CONTROL_OFFSET + CMSG_LEVEL, SOL_SOCKET);
            block.putInt(CONTROL_OFFSET + CMSG_TYPE, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                block.putInt(CONTROL_OFFSET + CMSG_HEADER + 4L * i, fds[i]);
            }
        }
        retrying(() -> C.sendmsg(fd, block, MSG_NOSIGNAL), "sendmsg", path);
    }

    /**
     * One native block holding msghdr, its iovec, the control buffer and the data: reused
     * per thread (a thread sends or receives one message at a time), since allocating it
     * per message was a measurable part of a request's cost. Header fields are reset.
     */
    private static Pointer messageBlock(int dataSize, int controlSize) {
        int dataOffset = dataOffset(controlSize);
        Pointer block = MESSAGE_BLOCK.get();
        if (dataOffset + dataSize > block.size()) {
            throw new IllegalArgumentException("message of " + dataSize + " bytes exceeds " + MAX_DATA);
        }
        long base = block.address();
        block.setMemory(0, CONTROL_OFFSET + controlSize, (byte) 0);
        block.putLong(IOV_OFFSET + IOV_BASE, base + dataOffset);
        block.putLong(IOV_OFFSET + IOV_LEN, dataSize);
        block.putLong(MSG_IOV, base + IOV_OFFSET);
        block.putLong(MSG_IOVLEN, 1);
        if (controlSize > 0) {
            block.putLong(MSG_CONTROL, base + CONTROL_OFFSET);
            block.putLong(MSG_CONTROLLEN, controlSize);
        }
        return block;
    }

    private static int dataOffset(int controlSize) {
        return CONTROL_OFFSET + ((controlSize + 7) & ~7);
    }

    /** Wakes a thread blocked in {@link #accept()} or {@link #receive(int)}. */
    public void shutdown() {
        C.shutdown(fd, SHUT_RDWR);
    }

    /**
     * Ends the receiving side: a thread blocked in {@link #receive(int)} wakes with end of
     * stream once the messages already queued are read; sending still works, so a request
     * being handled still gets its reply. Does nothing once closed (the descriptor number
     * may belong to another file by then).
     */
    public synchronized void shutdownInput() {
        if (!closed) {
            C.shutdown(fd, SHUT_RD);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Syscalls.close(fd);
        }
    }

    public int descriptor() {
        return fd;
    }
}

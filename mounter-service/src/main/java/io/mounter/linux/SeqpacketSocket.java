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
 * Netty's fd mode eats payload bytes and sets O_NONBLOCK on received fds (FINDINGS.md),
 * which would break the FUSE daemon that shares that open file.
 * Layouts are x86-64: msghdr 56 bytes, cmsghdr 16 bytes, iovec 16 bytes.
 */
public final class SeqpacketSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SHUT_RD = 0;
    private static final int SHUT_RDWR = 2;
    private static final int SUN_PATH_MAX = 108;
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSG_HEADER = 16;
    private static final int MAX_FDS = 8;
    private static final int IOV_OFFSET = MSGHDR_SIZE;
    private static final int CONTROL_OFFSET = MSGHDR_SIZE + 16;
    private static final int MAX_DATA = 65536 + 16;
    private static final ThreadLocal<Pointer> MESSAGE_BLOCK = ThreadLocal.withInitial(() ->
            Memory.allocateDirect(RUNTIME, CONTROL_OFFSET + CMSG_HEADER + 4 * MAX_FDS + MAX_DATA, false));

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
        Pointer addr = Memory.allocateDirect(RUNTIME, 2 + SUN_PATH_MAX, true);
        addr.putShort(0, (short) AF_UNIX);
        addr.put(2, bytes, 0, bytes.length);
        return addr;
    }

    private static int addressLength(String path) {
        return 2 + path.getBytes(StandardCharsets.UTF_8).length + 1;
    }

    /** Waits for a connection; throws with EINVAL once {@link #shutdown()} was called. */
    public SeqpacketSocket accept() {
        int client = (int) retrying(() -> C.accept4(fd, null, null, SOCK_CLOEXEC), "accept4", path);
        return new SeqpacketSocket(client, path);
    }

    public PeerCredentials peerCredentials() {
        Pointer scratch = Syscalls.scratch();
        Pointer cred = scratch.slice(0, 12);
        Pointer len = scratch.slice(16, 4);
        len.putInt(0, 12);
        check(C.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len), "getsockopt", "SO_PEERCRED");
        return new PeerCredentials(cred.getInt(0), cred.getInt(4), cred.getInt(8));
    }

    public void setTimeouts(Duration timeout) {
        Pointer tv = Syscalls.scratch();
        tv.putLong(0, timeout.toSeconds());
        tv.putLong(8, timeout.toMillisPart() * 1000L);
        check(C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), "setsockopt", "SO_RCVTIMEO");
        check(C.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16), "setsockopt", "SO_SNDTIMEO");
    }

    /**
     * Receives one message of at most {@code maxBytes}; descriptors arrive close-on-exec
     * with their file flags untouched. An empty result means the peer hung up.
     */
    public ReceivedMessage receive(int maxBytes) {
        int controlSize = CMSG_HEADER + 4 * MAX_FDS;
        Pointer block = messageBlock(maxBytes, controlSize);
        long n = retrying(() -> C.recvmsg(fd, block, MSG_CMSG_CLOEXEC), "recvmsg", path);
        int flags = block.getInt(48);
        int[] fds = descriptors(block, block.getLong(40));
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
            long length = block.getLong(offset);
            if (length < CMSG_HEADER) {
                break;
            }
            if (block.getInt(offset + 8) == SOL_SOCKET && block.getInt(offset + 12) == SCM_RIGHTS) {
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
            block.putLong(CONTROL_OFFSET, CMSG_HEADER + 4L * fds.length);
            block.putInt(CONTROL_OFFSET + 8, SOL_SOCKET);
            block.putInt(CONTROL_OFFSET + 12, SCM_RIGHTS);
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
        block.putLong(IOV_OFFSET, base + dataOffset);
        block.putLong(IOV_OFFSET + 8, dataSize);
        block.putLong(16, base + IOV_OFFSET);
        block.putLong(24, 1);
        if (controlSize > 0) {
            block.putLong(32, base + CONTROL_OFFSET);
            block.putLong(40, controlSize);
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

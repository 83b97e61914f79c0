package io.mounter.client;

import io.mounter.linux.SeqpacketSocket;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A connection to mounterd: one request, one reply, in order. */
public final class MounterClient implements AutoCloseable {
    public static final String DEFAULT_SOCKET = "/run/mounter/mounter.sock";

    private final SeqpacketSocket socket;
    private int nextId = 1;

    private MounterClient(SeqpacketSocket socket) {
        this.socket = socket;
    }

    /** The socket named by MOUNTER_SOCKET, or the default. */
    public static String socketFromEnvironment() {
        String path = System.getenv("MOUNTER_SOCKET");
        return path == null || path.isEmpty() ? DEFAULT_SOCKET : path;
    }

    /** @throws io.mounter.linux.SyscallException if nothing listens there */
    public static MounterClient connect(String path, Duration timeout) {
        SeqpacketSocket socket = SeqpacketSocket.connect(path);
        socket.setTimeouts(timeout);
        return new MounterClient(socket);
    }

    public int nextId() {
        return nextId++;
    }

    /** Sends raw bytes, with {@code fd} attached unless negative, and returns the raw reply. */
    public byte[] exchange(byte[] message, int fd) {
        socket.send(message, fd);
        byte[] reply = socket.receive(Limits.MAX_REPLY).payload();
        return reply;
    }

    public Reply call(Request request, int fd) {
        return MessageCodec.decodeReply(exchange(MessageCodec.encodeRequest(request), fd));
    }

    /**
     * Every mount mounterd holds, paging through LIST replies.
     *
     * @throws RequestFailedException if mounterd refuses
     */
    public List<MountEntry> list() {
        List<MountEntry> all = new ArrayList<>();
        int cursor = 0;
        while (cursor >= 0) {
            Reply reply = call(new Request.List(nextId(), cursor), -1);
            if (!reply.succeeded()) {
                throw new RequestFailedException(reply.status(), "mounterd refused LIST: " + reply.message());
            }
            all.addAll(reply.entries());
            cursor = reply.nextCursor();
        }
        return all;
    }

    @Override
    public void close() {
        socket.close();
    }
}

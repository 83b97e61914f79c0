package io.mounter.server;

import io.mounter.linux.Errno;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Bounds the requests handled at once: past the bound a request is answered EAGAIN at once
 * instead of waiting, so a flood makes callers retry rather than pile up behind slow
 * mounts. mounterd runs two connection workers more than the bound, so that a free worker
 * is always there to say so.
 *
 * <p>STATUS (the liveness probe, which must not fail because mounterd is busy) and messages
 * whose header names no operation (answered with an error at once) pass without a permit.
 * Thread-safe; nothing here blocks or starts a thread, so pinned workers may call it.
 */
public final class RequestGate {
    private static final int HEADER = 16;

    private final Semaphore permits;
    private final int limit;

    public RequestGate(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("the bound on requests must be at least 1: " + limit);
        }
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    /** No bound worth speaking of: the default until mounterd sets one. */
    public static RequestGate unbounded() {
        return new RequestGate(Integer.MAX_VALUE);
    }

    public int limit() {
        return limit;
    }

    /**
     * Runs {@code handling} for the request in {@code payload} if a permit is free, else
     * returns an EAGAIN reply to it.
     */
    public byte[] admit(byte[] payload, Supplier<byte[]> handling) {
        Operation op = operation(payload);
        if (op == null || op == Operation.STATUS) {
            return handling.get();
        }
        if (!permits.tryAcquire()) {
            return MessageCodec.encodeReply(Reply.of(id(payload), op.code(), Errno.EAGAIN,
                    "mounterd is busy: " + limit + " requests in progress; try again"));
        }
        try {
            return handling.get();
        } finally {
            permits.release();
        }
    }

    private static Operation operation(byte[] payload) {
        if (payload.length < HEADER) {
            return null;
        }
        return Operation.of(payload[6] & 0xff | (payload[7] & 0xff) << 8);
    }

    private static int id(byte[] payload) {
        return payload[8] & 0xff | (payload[9] & 0xff) << 8 | (payload[10] & 0xff) << 16 | (payload[11] & 0xff) << 24;
    }
}

package io.mounter.request;

import io.mounter.linux.Errno;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Bounds the requests handled at once: past the bound a request is answered EAGAIN at once
 * instead of waiting, so a flood makes callers retry rather than pile up behind slow
 * mounts. mounterd runs two connection workers more than the bound, so that a free worker
 * is always there to say so.
 *
 * <p>STATUS (the liveness probe, which must not fail because mounterd is busy) passes
 * without a permit. Thread-safe; never blocks.
 */
public final class RequestGate {
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

    /** Whether requests of {@code operation} need a permit. */
    static boolean isBounded(Operation operation) {
        return switch (operation) {
            case MOUNT, UMOUNT, LIST, RUN_MOUNT -> true;
            case STATUS -> false;
        };
    }

    /** Runs {@code handling} for {@code request} if a permit is free, else returns an EAGAIN reply to it. */
    public Reply admit(Request request, Supplier<Reply> handling) {
        if (!isBounded(request.operation())) {
            return handling.get();
        }
        if (!permits.tryAcquire()) {
            return Reply.to(request, Errno.EAGAIN, "mounterd is busy: " + limit + " requests in progress; try again");
        }
        try {
            return handling.get();
        } finally {
            permits.release();
        }
    }
}

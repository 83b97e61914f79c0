package io.mounter.request;

import io.mounter.linux.Errno;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Bounds the requests handled at once. A request past the bound waits at most
 * {@link #WAIT_FOR_PERMIT} for one to finish, then is answered EAGAIN, so that a flood makes
 * callers retry rather than pile up behind slow mounts. mounterd runs more connection
 * workers than the bound: only those beyond it can wait here, each no longer than that.
 *
 * <p>Why wait at all: answered at once, each of a burst's extra requests came back EAGAIN,
 * and its client's retries (kubelet's next sync, a retry loop) took CPU the requests in
 * flight needed, while a permit freed meanwhile stayed unused until a retry came. With 32
 * clients against 14 permits on two cores that halved the pairs per second once the
 * executor's hand-off made each request hold its permit through more wake-ups
 * (docs/benchmarks.md).
 *
 * <p>STATUS (the supervisor's health check, which must not fail because mounterd is busy)
 * passes without a permit. Thread-safe.
 */
public final class RequestGate {
    /** How long a request past the bound waits for a permit before its EAGAIN (a constant for --help). */
    public static final int WAIT_FOR_PERMIT_MILLIS = 50;
    public static final Duration WAIT_FOR_PERMIT = Duration.ofMillis(WAIT_FOR_PERMIT_MILLIS);

    private final Semaphore permits;
    private final int limit;
    private final long waitNanos;

    public RequestGate(int limit) {
        this(limit, WAIT_FOR_PERMIT);
    }

    RequestGate(int limit, Duration waitForPermit) {
        this.waitNanos = waitForPermit.toNanos();
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

    /**
     * Runs {@code handling} for {@code request} once a permit is free, else (none freed
     * within the wait, or the thread interrupted) returns an EAGAIN reply to it.
     */
    public Reply admit(Request request, Supplier<Reply> handling) {
        if (!isBounded(request.operation())) {
            return handling.get();
        }
        if (!acquire()) {
            return Reply.to(request, Errno.EAGAIN, "mounterd is busy: " + limit + " requests in progress; try again");
        }
        try {
            return handling.get();
        } finally {
            permits.release();
        }
    }

    private boolean acquire() {
        if (permits.tryAcquire()) {
            return true;
        }
        try {
            return permits.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // mounterd is stopping: EAGAIN, as when it is busy
            return false;
        }
    }
}

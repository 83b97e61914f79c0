package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RequestGateTest {
    private static final Reply HANDLED = Reply.of(1, 3, 0, "handled");
    private final RequestGate gate = new RequestGate(2);

    private static Request list(int id) {
        return new Request.List(id, 0);
    }

    /** Holds {@code count} permits from other threads until the returned latch is counted down. */
    private CountDownLatch occupy(int count) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch inside = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            Thread holder = new Thread(() -> gate.admit(list(1), () -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return HANDLED;
            }));
            holder.setDaemon(true);
            holder.start();
        }
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void pastTheBoundARequestIsAnsweredEagainAtOnceWithItsIdAndKind() throws InterruptedException {
        CountDownLatch release = occupy(2);
        Reply busy = gate.admit(list(77), () -> {
            throw new AssertionError("must not be handled");
        });
        assertEquals(Errno.EAGAIN, busy.status());
        assertEquals(77, busy.id());
        assertEquals(0x8003, busy.kind());
        assertTrue(busy.message().contains("busy"), busy.message());
        release.countDown();
    }

    @Test
    void statusPassesWhileFull() throws InterruptedException {
        CountDownLatch release = occupy(2);
        assertSame(HANDLED, gate.admit(new Request.Status(5), () -> HANDLED));
        release.countDown();
    }

    @Test
    void everyOperationButStatusNeedsAPermit() {
        for (Operation operation : Operation.values()) {
            assertEquals(operation != Operation.STATUS, RequestGate.isBounded(operation), operation.name());
        }
    }

    @Test
    void aPermitComesBackAfterTheRequestEvenWhenItThrows() {
        assertThrows(IllegalStateException.class, () -> gate.admit(list(1), () -> {
            throw new IllegalStateException("bug");
        }));
        for (int i = 0; i < 5; i++) {
            assertSame(HANDLED, gate.admit(list(1), () -> HANDLED));
        }
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RequestGate(0));
    }
}

package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Duration;
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

    /** Holds {@code count} of {@link #gate}'s permits from other threads until the returned latch is counted down. */
    private CountDownLatch occupy(int count) throws InterruptedException {
        return occupy(gate, count);
    }

    /** Holds {@code count} of {@code gate}'s permits from other threads until the returned latch is counted down. */
    private static CountDownLatch occupy(RequestGate gate, int count) throws InterruptedException {
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
    void pastTheBoundARequestWaitsItsTimeAndIsAnsweredEagainWithItsIdAndKind() throws InterruptedException {
        CountDownLatch release = occupy(2);
        long start = System.nanoTime();
        Reply busy = gate.admit(list(77), () -> {
            throw new AssertionError("must not be handled");
        });
        long waitedNanos = System.nanoTime() - start;
        assertEquals(Errno.EAGAIN, busy.status());
        assertEquals(77, busy.id());
        assertEquals(0x8003, busy.kind());
        assertTrue(busy.message().contains("busy"), busy.message());
        assertTrue(waitedNanos >= RequestGate.WAIT_FOR_PERMIT.toNanos(), "answered before the wait ended: " + waitedNanos);
        release.countDown();
    }

    @Test
    void aRequestPastTheBoundIsHandledWhenAPermitIsFreedWithinTheWait() throws InterruptedException {
        RequestGate patient = new RequestGate(1, Duration.ofSeconds(5));
        CountDownLatch release = occupy(patient, 1);
        Thread releaser = new Thread(() -> {
            sleepQuietly(100);
            release.countDown();
        });
        releaser.start();

        assertSame(HANDLED, patient.admit(list(2), () -> HANDLED));
        releaser.join();
    }

    @Test
    void aWaitingRequestThatIsInterruptedIsAnsweredEagainAndKeepsTheInterrupt() throws InterruptedException {
        RequestGate patient = new RequestGate(1, Duration.ofSeconds(30));
        CountDownLatch release = occupy(patient, 1);
        Reply[] answer = new Reply[1];
        boolean[] stillInterrupted = new boolean[1];
        Thread waiter = new Thread(() -> {
            answer[0] = patient.admit(list(3), () -> HANDLED);
            stillInterrupted[0] = Thread.currentThread().isInterrupted();
        });
        waiter.start();
        sleepQuietly(100);
        waiter.interrupt();
        waiter.join(5_000);

        assertEquals(Errno.EAGAIN, answer[0].status());
        assertTrue(stillInterrupted[0]);
        release.countDown();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

package io.mounter.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RequestGateTest {
    private static final byte[] HANDLED = {1, 2, 3};
    private final RequestGate gate = new RequestGate(2);

    private static byte[] list(int id) {
        return MessageCodec.encodeRequest(new Request.List(id, 0));
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
        Reply busy = MessageCodec.decodeReply(gate.admit(list(77), () -> {
            throw new AssertionError("must not be handled");
        }));
        assertEquals(Errno.EAGAIN, busy.status());
        assertEquals(77, busy.id());
        assertEquals(0x8003, busy.kind());
        assertTrue(busy.message().contains("busy"), busy.message());
        release.countDown();
    }

    @Test
    void statusAndUndecodableMessagesPassWhileFull() throws InterruptedException {
        CountDownLatch release = occupy(2);
        assertArrayEquals(HANDLED, gate.admit(MessageCodec.encodeRequest(new Request.Status(5)), () -> HANDLED));
        assertArrayEquals(HANDLED, gate.admit(new byte[3], () -> HANDLED));
        release.countDown();
    }

    @Test
    void aPermitComesBackAfterTheRequestEvenWhenItThrows() {
        assertThrows(IllegalStateException.class, () -> gate.admit(list(1), () -> {
            throw new IllegalStateException("bug");
        }));
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(HANDLED, gate.admit(list(1), () -> HANDLED));
        }
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RequestGate(0));
    }
}

package io.mounter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.NamespacePinning;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one pinned task thread, pinned here in the test's own mount namespace (needs CAP_SYS_ADMIN). */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PinnedThreadTest {
    private int namespace;
    private PinnedThread pinned;

    @BeforeEach
    void openNamespace() {
        namespace = NamespacePinning.openNamespace("/proc/self/ns/mnt");
    }

    @AfterEach
    void close() {
        if (pinned != null) {
            pinned.close();
        }
        Syscalls.closeQuietly(namespace);
    }

    private PinnedThread start(Runnable warmUp) {
        try {
            return PinnedThread.start("pinned-test", namespace, warmUp);
        } catch (SyscallException e) {
            org.junit.jupiter.api.Assumptions.abort("cannot setns here (CAP_SYS_ADMIN needed): " + e.getMessage());
            return null;
        }
    }

    @Test
    void tasksRunOnOnePinnedThreadAndTheirResultsComeBack() {
        pinned = start(() -> { });
        assertTrue(pinned.call(NamespacePinning::isCurrentThreadPinned), "pinned before the first task");
        String first = pinned.call(() -> Thread.currentThread().getName());
        assertEquals("pinned-test", first);
        assertEquals(first, pinned.call(() -> Thread.currentThread().getName()), "always the same thread");
        assertTrue(!NamespacePinning.isCurrentThreadPinned(), "the caller stays as it was");
    }

    @Test
    void exceptionsOfATaskComeBackAndTheThreadServesOn() {
        pinned = start(() -> { });
        Refusal refusal = new Refusal(1, "no");
        assertSame(refusal, assertThrows(Refusal.class, () -> pinned.call(() -> {
            throw refusal;
        })));
        assertThrows(IllegalStateException.class, () -> pinned.call(() -> {
            throw new java.io.IOException("checked");
        }));
        assertEquals(2, pinned.call(() -> 2));
    }

    @Test
    void aFailedWarmUpFailsTheStart() {
        IllegalStateException failure = new IllegalStateException("warm-up failed");
        try {
            assertSame(failure, assertThrows(IllegalStateException.class, () -> start(() -> {
                throw failure;
            })));
        } finally {
            pinned = null;
        }
    }

    @Test
    void aPinnedThreadMayNotStartAnother() {
        pinned = start(() -> { });
        IllegalStateException refused = pinned.call(() -> assertThrows(IllegalStateException.class,
                () -> PinnedThread.start("nested", namespace, () -> { })));
        assertTrue(refused.getMessage().contains("may not start another"), refused.getMessage());
    }
}

package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PollSetTest {

    @Test
    void anEventfdWakesPollUntilDrained() {
        int event = Syscalls.eventfd(Syscalls.EFD_CLOEXEC | Syscalls.EFD_NONBLOCK);
        try {
            PollSet set = new PollSet();
            set.add(event, PollSet.POLLIN);
            assertEquals(0, set.poll(0), "nothing signalled yet");
            Syscalls.signal(event);
            Syscalls.signal(event);
            assertEquals(1, set.poll(1000));
            assertEquals(PollSet.POLLIN, set.revents(0));
            assertTrue(Syscalls.drain(event), "one read takes the whole counter");
            assertFalse(Syscalls.drain(event));
            assertEquals(0, set.poll(10));
            assertEquals(0, set.revents(0), "revents are cleared before each poll");
        } finally {
            Syscalls.close(event);
        }
    }

    @Test
    void aPidfdBecomesReadableWhenItsProcessExits() throws IOException, InterruptedException {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        int pidfd = Syscalls.pidfdOpen((int) sleeper.pid());
        try {
            PollSet set = new PollSet();
            set.add(pidfd, PollSet.POLLIN);
            assertEquals(0, set.poll(50), "still running");
            sleeper.destroyForcibly();
            assertTrue(sleeper.waitFor(5, TimeUnit.SECONDS));
            assertEquals(1, set.poll(5000));
            assertTrue((set.revents(0) & PollSet.POLLIN) != 0);
        } finally {
            Syscalls.close(pidfd);
        }
    }

    @Test
    void pidfdOpenOfNoProcessFails() {
        SyscallException e = assertThrows(SyscallException.class, () -> Syscalls.pidfdOpen(Integer.MAX_VALUE - 1));
        assertEquals("pidfd_open", e.op());
    }

    @Test
    void theSetGrowsPastItsFirstArray() {
        int event = Syscalls.eventfd(Syscalls.EFD_CLOEXEC | Syscalls.EFD_NONBLOCK);
        try {
            PollSet set = new PollSet();
            for (int i = 0; i < 40; i++) {
                set.add(event, PollSet.POLLIN);
            }
            Syscalls.signal(event);
            assertEquals(40, set.poll(1000));
            assertEquals(PollSet.POLLIN, set.revents(39));
            assertEquals(40, set.size());
        } finally {
            Syscalls.close(event);
        }
    }
}

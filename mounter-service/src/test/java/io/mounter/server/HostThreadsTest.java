package io.mounter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.linux.Errno;
import io.mounter.policy.Refusal;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostThreadsTest {
    private final HostThreads threads = HostThreads.start(2);

    @AfterEach
    void close() {
        threads.close();
    }

    @Test
    void aTaskRunsOnAHostThreadAndItsValueComesBack() {
        String name = threads.call(() -> Thread.currentThread().getName());
        assertTrue(name.startsWith("host-"), name);
        assertTrue(!name.equals(Thread.currentThread().getName()));
    }

    @Test
    void uncheckedExceptionsComeBackAsTheyAreCheckedOnesWrapped() {
        Refusal refusal = new Refusal(Errno.EAGAIN, "busy");
        assertSame(refusal, assertThrows(Refusal.class, () -> threads.call(() -> {
            throw refusal;
        })));
        IOException io = new IOException("disk");
        IllegalStateException wrapped = assertThrows(IllegalStateException.class, () -> threads.call(() -> {
            throw io;
        }));
        assertSame(io, wrapped.getCause());
        assertInstanceOf(Integer.class, threads.call(() -> 1), "the threads survive a failed task");
    }

    @Test
    void asManyTasksRunAtOnceAsThereAreThreads() throws InterruptedException {
        CountDownLatch both = new CountDownLatch(2);
        Set<String> names = ConcurrentHashMap.newKeySet();
        Thread[] callers = new Thread[2];
        for (int i = 0; i < 2; i++) {
            callers[i] = new Thread(() -> threads.call(() -> {
                names.add(Thread.currentThread().getName());
                both.countDown();
                return both.await(5, TimeUnit.SECONDS);
            }));
            callers[i].start();
        }
        assertTrue(both.await(5, TimeUnit.SECONDS), "two tasks ran at the same time");
        for (Thread caller : callers) {
            caller.join();
        }
        assertEquals(Set.of("host-0", "host-1"), names);
    }
}

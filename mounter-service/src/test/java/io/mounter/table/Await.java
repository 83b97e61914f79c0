package io.mounter.table;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits in tests for what a background thread (the watcher, the state writer) does. */
final class Await {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    private Await() {
    }

    /** Returns once {@code condition} holds; fails the test if it does not within 10 s. */
    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + LIMIT.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}

package io.mounter.executor;

import java.util.concurrent.locks.LockSupport;

/** One command handed to a pinned thread, and the caller parked until its result is there. */
final class Job<R> {
    private final HostCommand<R> command;
    private final Thread caller;
    private R result;
    private Throwable failure;
    /** Written last by the pinned thread: what it wrote before is visible once this reads true. */
    private volatile boolean done;

    Job(HostCommand<R> command) {
        this.command = command;
        this.caller = Thread.currentThread();
    }

    /** Runs the command on the calling (pinned) thread and wakes the caller. */
    void run(HostOperations host) {
        try {
            result = command.runOn(host);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        finish();
    }

    /** Ends the job without running it (the executor closed). */
    void fail(RuntimeException e) {
        failure = e;
        finish();
    }

    private void finish() {
        done = true;
        LockSupport.unpark(caller);
    }

    /** Waits for the result; rethrows what the command threw, as it was. */
    R await() {
        boolean interrupted = false;
        while (!done) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted(); // a command cannot be called back: wait it out
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return result;
    }
}

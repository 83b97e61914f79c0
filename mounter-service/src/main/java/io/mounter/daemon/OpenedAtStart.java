package io.mounter.daemon;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What mounterd's start has opened so far. A start that fails closes it all here, in
 * reverse order, whichever step failed; a start that succeeds hands it on ({@link #keep})
 * to the running daemon, whose shutdown closes it.
 */
final class OpenedAtStart implements AutoCloseable {
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    /** Remembers {@code resource} for closing; returns it. */
    <T extends AutoCloseable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    /** The start succeeded: nothing is closed here any more. */
    void keep() {
        opened.clear();
    }

    @Override
    public void close() {
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                System.err.println("mounterd: while undoing the start: " + e);
            }
        }
    }
}

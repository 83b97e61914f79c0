package io.mounter.executor;

import io.mounter.linux.DeviceNumber;

/**
 * A step that runs in some other process's mount namespace (a pod's), on a thread that
 * joins that namespace for this one step and then ends. As with {@link HostCommand}, a new
 * kind of step is a new record here and a method of {@link ForeignOperations}.
 *
 * @param <R> what the step returns
 */
public sealed interface NamespaceCommand<R> {
    /** Performs this step; called on the visiting thread only. */
    R runIn(ForeignOperations namespace);

    /** What {@link ReplaceMount} did. */
    enum Replacement {
        /** The fresh mount is where the dead one was, and the dead one is detached. */
        REPLACED,
        /** The path does not show the dead mount's root (gone, moved, a symlink now): nothing done. */
        NOT_HELD
    }

    /**
     * Puts {@code fresh} in place of the mount at {@code path} if, and only if, that path
     * (resolved in the namespace, following no symlink) shows the root of a mount of the
     * filesystem {@code dead}: beneath it first, then the dead one is detached, so the path
     * never shows the directory below. {@code fresh} is used up either way.
     */
    record ReplaceMount(DetachedMount fresh, String path, DeviceNumber dead) implements NamespaceCommand<Replacement> {
        @Override
        public Replacement runIn(ForeignOperations namespace) {
            return namespace.replaceMount(fresh, path, dead);
        }
    }
}

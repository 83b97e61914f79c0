package io.mounter.request.volume;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One operation per volume at a time; others on the same volume are refused at once (ABORTED),
 * not queued: a retry of a call kubelet gave up on finds the first one still running and is
 * never started twice. Different volumes run in parallel.
 */
final class InFlight {
    private final Set<String> volumes = ConcurrentHashMap.newKeySet();

    /** A volume taken; closing gives it back. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Takes the volume, or throws ABORTED if an operation on it is running. Close to give it back. */
    Held take(String volumeId) {
        if (!volumes.add(volumeId)) {
            throw new VolumeError(VolumeError.Kind.ABORTED, "an operation on volume " + volumeId
                    + " is in progress; try again when it has ended");
        }
        return () -> volumes.remove(volumeId);
    }
}

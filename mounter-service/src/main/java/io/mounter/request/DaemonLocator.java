package io.mounter.request;

import java.util.Map;

/** Finds the processes that serve FUSE connections. */
public interface DaemonLocator {
    /** Connection id to pid, for every FUSE daemon visible now; empty if none can be read. */
    Map<Integer, Integer> byConnection();
}
